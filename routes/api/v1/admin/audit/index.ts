// GET /api/v1/admin/audit/: the audit trail for staff, their own client's events (every
// client's for a superuser), newest first, filtered and paginated like the admin sessions list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ApiError } from '../../../../../plugins/infra/api-error.js'
import { isoUtc } from '../../../../../plugins/infra/iso-time.js'
import { page, pageParams } from '../../../../../plugins/infra/pagination.js'
import { tenantScope } from '../../../../../plugins/users/tenancy.js'
import { AuditEventView, AuditQuery } from '../../../../../schemas/audit.js'
import { bearerSecurity, Detail, Page, withAuthErrors } from '../../../../../schemas/common.js'

// DRF's DateTimeField: an ISO 8601 time (a bare date counts as its midnight UTC), else 400.
function parseTime(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN
  if (Number.isNaN(ms)) {
    throw new ApiError(400, { [field]: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'] })
  }
  return ms
}

const audit: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: {
        operationId: 'listAuditEvents',
        tags: ['admin'],
        summary: "Audit events of the caller's client (all clients for a superuser)",
        security: bearerSecurity,
        querystring: AuditQuery,
        response: withAuthErrors({ 200: Page(AuditEventView), 403: Detail }),
      },
    },
    async (request) => {
      const q = request.query
      const params = pageParams(q)
      const { count, rows } = await fastify.audit.list(
        {
          scope: tenantScope(request.user),
          event: q.event,
          outcome: q.outcome,
          userId: q.user_id,
          sessionId: q.session_id,
          ip: q.ip_address,
          since: parseTime('since', q.since),
          until: parseTime('until', q.until),
        },
        params,
      )
      return page(request, params, count, rows.map((row) => ({ ...row, created_at: isoUtc(row.created_at) })))
    },
  )
}

export default audit
