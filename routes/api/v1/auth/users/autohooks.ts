// /api/v1/auth/users/ is for staff: Bearer authentication, then the staff check.
import type { FastifyInstance } from 'fastify'

export default async function usersHooks(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', fastify.authenticate)
  fastify.addHook('onRequest', fastify.requireStaff)
}
