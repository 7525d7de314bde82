// /admin/audit: the audit trail of the staff user's client (every client's for a superuser),
// newest first, with the audit API's filters.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageData, signedIn } from '../../../plugins/console/console-context.js'
import { invalidPageLink, PAGE_SIZE, utcTime } from '../../../plugins/console/page-input.js'
import { tenantScope } from '../../../plugins/users/tenancy.js'
import { parseId } from '../../../schemas/common.js'
import { AUDIT_EVENTS, AUDIT_OUTCOMES } from '../../../schemas/audit.js'
import { AuditPageQuery } from '../../../schemas/console.js'

const auditPage: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { schema: { hide: true, querystring: AuditPageQuery } }, async (request, reply) => {
    const me = signedIn(request)
    const q = request.query
    const offset = q.offset ? Number(q.offset) : 0
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidPageLink()
    // A filter that cannot match (a user id that is not a number) matches nothing.
    const idFilter = (raw: string | undefined) => (raw ? (parseId(raw) ?? -1) : undefined)
    const { count, rows } = await fastify.audit.list(
      {
        scope: tenantScope(me),
        event: q.event || undefined,
        outcome: q.outcome || undefined,
        userId: idFilter(q.user_id),
        sessionId: idFilter(q.session_id),
        ip: q.ip_address?.trim() || undefined,
        since: utcTime(q.since),
        until: utcTime(q.until),
      },
      { limit: PAGE_SIZE, offset },
    )
    const filters = {
      event: q.event ?? '',
      outcome: q.outcome ?? '',
      user_id: q.user_id ?? '',
      session_id: q.session_id ?? '',
      ip_address: q.ip_address ?? '',
      since: q.since ?? '',
      until: q.until ?? '',
    }
    return reply.view(
      'audit.eta',
      pageData(request, reply, {
        title: 'Audit',
        section: 'audit',
        filters,
        filtered: Object.values(filters).some((v) => v !== ''),
        rows,
        count,
        offset,
        pageSize: PAGE_SIZE,
        events: AUDIT_EVENTS,
        outcomes: AUDIT_OUTCOMES,
      }),
    )
  })
}

export default auditPage
