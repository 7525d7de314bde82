// Every route under /api/v1/auth/sessions/ is the caller's own: Bearer authentication first.
import type { FastifyInstance } from 'fastify'

export default async function sessionsHooks(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', fastify.authenticate)
}
