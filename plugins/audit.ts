// The audit trail's side channel: refusals that happen outside any transaction (a per-IP
// limit, the per-account login backoff) are recorded once per client and window, without
// holding up the 429. State changes are recorded by the flows themselves (auth/audit.ts).
import fp from 'fastify-plugin'
import { recordAudit, type AuditSource } from '../auth/audit.js'
import { parseDuration } from '../auth/durations.js'
import { RepeatFilter } from '../auth/repeat-filter.js'

declare module 'fastify' {
  interface FastifyInstance {
    audit: {
      // `what` says which limit: a route's URL, or 'login_backoff'.
      rateLimited(source: AuditSource, what: string): void
    }
  }
}

export default fp(
  async (fastify) => {
    const filter = new RepeatFilter(parseDuration(fastify.config.KEYTURN_RATE_LIMIT_WINDOW))
    fastify.decorate('audit', {
      rateLimited(source, what) {
        const now = Date.now()
        if (!filter.admit(`${source.ip} ${what}`, now)) return
        recordAudit(fastify.db, source, { event: 'rate_limited', outcome: 'failure', detail: what }, now).catch((err: unknown) => {
          fastify.log.warn({ err: (err as Error).message }, 'audit: rate-limit event not recorded')
        })
      },
    })
  },
  { name: 'audit', dependencies: ['config', 'db'] },
)
