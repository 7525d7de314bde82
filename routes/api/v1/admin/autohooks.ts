// Everything under /api/v1/admin/ is for staff: Bearer authentication, then the staff check.
import type { FastifyInstance } from 'fastify'

export default async function adminHooks(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', fastify.authenticate)
  fastify.addHook('onRequest', fastify.requireStaff)
}
