// /admin/audit: the audit trail of the staff user's client (every client's for a superuser),
// newest first, with the audit API's filters.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageData, signedIn } from '../../../plugins/console/console-context.js'
import { tenantScope } from '../../../plugins/users/tenancy.js'
import { parseId } from '../../../schemas/common.js'
import { AUDIT_EVENTS, AUDIT_OUTCOMES } from '../../../schemas/audit.js'
import { AuditPageQuery } from '../../../schemas/console.js'
import { invalidPageLink, PAGE_SIZE } from '../sessions/index.js'

const auditPage: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { schema: { hide: true, querystring: AuditPageQuery } }, async (request, reply) => {
    const me = signedIn(request)
    const q = request.query
    const offset = q.offset ? Number(q.offset) : 0
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidPageLink()
    const userId = q.user_id ? parseId(q.user_id) : undefined
    const { count, rows } = await fastify.audit.list(
      {
        scope: tenantScope(me),
        event: q.event || undefined,
        outcome: q.outcome || undefined,
        userId: q.user_id ? (userId ?? -1) : undefined,
        ip: q.ip_address?.trim() || undefined,
      },
      { limit: PAGE_SIZE, offset },
    )
    const filters = { event: q.event ?? '', outcome: q.outcome ?? '', user_id: q.user_id ?? '', ip_address: q.ip_address ?? '' }
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
