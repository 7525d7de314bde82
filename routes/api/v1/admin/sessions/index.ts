// /api/v1/admin/sessions/: session administration for staff, scoped to their client (every
// client for superusers).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../../../../plugins/audit/audit-trail.js'
import { errors } from '../../../../../plugins/infra/api-error.js'
import { isoOrNull } from '../../../../../plugins/infra/iso-time.js'
import { cursorPage, cursorParam, page, pageParams } from '../../../../../plugins/infra/pagination.js'
import type { AdminSessionRow } from '../../../../../plugins/admin/staff-queries.js'
import { toSessionView } from '../../../../../plugins/sessions/session-view.js'
import { tenantScope } from '../../../../../plugins/users/tenancy.js'
import { AdminSessionQuery, AdminSessionView } from '../../../../../schemas/admin.js'
import { AnyPage, bearerSecurity, Detail, withAuthErrors } from '../../../../../schemas/common.js'
import { parseSessionId, SessionIdParams, SessionRevoked } from '../../../../../schemas/sessions.js'

const adminSessions: FastifyPluginAsyncTypebox = async (fastify) => {
  const { admin, sessions } = fastify
  const common = { tags: ['admin'], security: bearerSecurity }

  fastify.get(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: {
        ...common,
        operationId: 'adminListSessions',
        summary: "Sessions of the caller's client (all clients for a superuser)",
        querystring: AdminSessionQuery,
        response: withAuthErrors({ 200: AnyPage(AdminSessionView), 403: Detail, 404: Detail }),
      },
    },
    async (request) => {
      const params = pageParams(request.query)
      const now = Date.now()
      const filter = {
        scope: tenantScope(request.user),
        clientType: request.query.client_type,
        isActive: request.query.is_active,
        q: request.query.q,
        now,
      }
      const view = (row: AdminSessionRow) => ({
        ...toSessionView(row, request.user.sessionId, sessions.policy, now),
        user_id: row.user_id,
        username: row.username,
        client_id: row.client_id,
        revoked_at: isoOrNull(row.revoked_at),
        revoked_reason: row.revoked_reason,
      })
      if (request.query.cursor !== undefined) {
        const keyset = await admin.sessionsAfter(filter, cursorParam(request.query.cursor, 2), params.limit)
        return cursorPage(request, keyset, keyset.rows.map(view))
      }
      const { count, rows } = await admin.listSessions(filter, params)
      return page(request, params, count, rows.map(view))
    },
  )

  fastify.post(
    '/:id/revoke/',
    {
      schema: {
        ...common,
        operationId: 'adminRevokeSession',
        summary: "End a session of the caller's client",
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionRevoked, 403: Detail, 404: Detail }),
      },
    },
    async (request) => {
      const id = parseSessionId(request.params.id)
      const session = id === undefined ? undefined : await admin.findSession(tenantScope(request.user), id)
      if (!session) throw errors.notFound()
      await sessions.end(session.id, { userId: session.user_id, clientId: session.client_id }, {
        reason: 'revoked_by_admin',
        event: 'session_revoked',
        source: sourceOf(request),
        actorId: request.user.id,
      })
      return { message: 'Session revoked', id: session.id }
    },
  )
}

export default adminSessions
