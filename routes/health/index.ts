// Probes for orchestrators: live (the process answers) and ready (the store answers and its
// schema is current). Not rate limited, not authenticated, not in the API's tags.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { errors } from '../../plugins/infra/api-error.js'
import { pendingMigrations } from '../../plugins/infra/store/migrate.js'
import { publicSecurity, ServiceUnavailable } from '../../schemas/common.js'
import { HealthStatus as Status } from '../../schemas/health.js'

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/live', { config: { probe: true }, schema: { operationId: 'getLiveness', tags: ['health'], summary: 'The process is up', security: publicSecurity, response: { 200: Status } } }, async () => ({
    status: 'ok',
  }))

  fastify.get(
    '/ready',
    {
      config: { probe: true },
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'The store is reachable and migrated',
        security: publicSecurity,
        response: { 200: Status, 503: ServiceUnavailable },
      },
    },
    async (request) => {
      try {
        await sql`select 1`.execute(fastify.db)
        const pending = await pendingMigrations(fastify.db, fastify.storeSchema)
        if (pending.length > 0) {
          request.log.warn({ pending }, 'not ready: migrations pending')
          throw errors.storeUnavailable()
        }
      } catch (err) {
        request.log.warn({ code: (err as { code?: string }).code }, 'not ready: store unreachable')
        throw errors.storeUnavailable()
      }
      return { status: 'ready' }
    },
  )
}

export default health
