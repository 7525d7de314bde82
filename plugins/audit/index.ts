// The `audit` concern: the trail's rows and who may read them. State changes are recorded by
// the flows themselves, in the transaction that makes them (audit-trail.ts); refusals that
// happen outside any transaction (a per-IP limit, the per-account login backoff) come here and
// are recorded once per client and window, without holding up the 429.
import fp from 'fastify-plugin'
import type { PageParams } from '../infra/pagination.js'
import { countAuditEvents, listAuditEvents, type AuditFilter, type AuditListRow } from './audit-store.js'
import { recordAudit, sourceOf, type AuditSource } from './audit-trail.js'
import { RepeatFilter } from './repeat-filter.js'

export interface AuditService {
  // `what` says which limit: a route's URL, or 'login_backoff'.
  rateLimited(source: AuditSource, what: string): void
  list(filter: AuditFilter, page: PageParams): Promise<{ count: number; rows: AuditListRow[] }>
  count(filter: AuditFilter): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditService
  }
}

export default fp(
  async (fastify) => {
    const { db } = fastify
    const filter = new RepeatFilter(fastify.config.KEYTURN_RATE_LIMIT_WINDOW)
    const audit: AuditService = {
      rateLimited(source, what) {
        const now = Date.now()
        if (!filter.admit(`${source.ip} ${what}`, now)) return
        recordAudit(db, source, { event: 'rate_limited', outcome: 'failure', detail: what }, now).catch((err: unknown) => {
          fastify.log.warn({ err: (err as Error).message }, 'audit: rate-limit event not recorded')
        })
      },
      list: (f, page) => listAuditEvents(db, f, page),
      count: (f) => countAuditEvents(db, f),
    }
    fastify.rateLimits.onExceeded((request) => audit.rateLimited(sourceOf(request), request.routeOptions.url ?? 'unknown route'))
    fastify.decorate('audit', audit)
  },
  { name: 'audit', dependencies: ['config', 'db', 'rate-limit'] },
)
