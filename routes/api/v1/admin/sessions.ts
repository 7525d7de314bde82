// Session administration for staff, scoped to their client (every client for superusers).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from '../../../../auth/errors.js'
import { page, pageParams, tenantScope } from '../../../../auth/pagination.js'
import { isoUtc } from '../../../../auth/profile.js'
import { sourceOf } from '../../../../auth/audit.js'
import { endSession } from '../../../../auth/session-revocation.js'
import { sessionPolicy } from '../../../../auth/session-policy.js'
import { toSessionView } from '../../../../auth/session-view.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../../../schemas/common.js'
import { AdminSessionView, Page, Pagination, parseSessionId, SessionIdParams, SessionRevoked } from '../../../../schemas/sessions.js'
import { findSessionForAdmin, listSessionsForAdmin } from '../../../../store/admin-sessions.js'

const AdminSessionQuery = Type.Composite([
  Pagination,
  Type.Object({
    client_type: Type.Optional(Type.String({ maxLength: 64 })),
    is_active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'matches username, device name or IP address' })),
  }),
])

const adminSessions: FastifyPluginAsyncTypebox = async (fastify) => {
  const policy = sessionPolicy(fastify.config)
  fastify.addHook('onRequest', fastify.authenticate)
  fastify.addHook('onRequest', fastify.requireStaff)
  const common = { tags: ['admin'], security: bearerSecurity }

  fastify.get(
    '/sessions/',
    {
      schema: {
        ...common,
        summary: "Sessions of the caller's client (all clients for a superuser)",
        querystring: AdminSessionQuery,
        response: withAuthErrors({ 200: Page(AdminSessionView), 403: Detail }),
      },
    },
    async (request) => {
      const params = pageParams(request.query)
      const now = Date.now()
      const { count, rows } = await listSessionsForAdmin(
        fastify.db,
        {
          scope: tenantScope(request.user),
          clientType: request.query.client_type,
          isActive: request.query.is_active,
          q: request.query.q,
          now,
          idleTimeoutMs: policy.idleTimeoutMs,
        },
        params.limit,
        params.offset,
      )
      const results = rows.map((row) => ({
        ...toSessionView(row, request.user.sessionId, policy, now),
        user_id: row.user_id,
        username: row.username,
        client_id: row.client_id,
        revoked_at: row.revoked_at === null ? null : isoUtc(row.revoked_at),
        revoked_reason: row.revoked_reason,
      }))
      return page(request, params, count, results)
    },
  )

  fastify.post(
    '/sessions/:id/revoke/',
    {
      schema: {
        ...common,
        summary: 'End a session of the caller\'s client',
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionRevoked, 403: Detail, 404: Detail }),
      },
    },
    async (request) => {
      const id = parseSessionId(request.params.id)
      const session = id === undefined ? undefined : await findSessionForAdmin(fastify.db, tenantScope(request.user), id)
      if (!session) throw errors.notFound()
      await endSession(fastify, session.id, { userId: session.user_id, clientId: session.client_id }, {
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
