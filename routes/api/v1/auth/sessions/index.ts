// /api/v1/auth/sessions/: the caller's own sessions (devices). Another user's session id
// answers exactly like one that does not exist.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { sourceOf } from '../../../../../plugins/audit/audit-trail.js'
import { errors } from '../../../../../plugins/infra/api-error.js'
import { ownerOf } from '../../../../../plugins/sessions/session-ending.js'
import { toSessionView } from '../../../../../plugins/sessions/session-view.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../../../../schemas/common.js'
import { parseSessionId, RevokeAllBody, RevokedCount, SessionIdParams, SessionRevoked, SessionView } from '../../../../../schemas/sessions.js'

const sessionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sessions } = fastify
  const common = { tags: ['sessions'], security: bearerSecurity }

  async function ownSession(userId: number, rawId: string) {
    const id = parseSessionId(rawId)
    const session = id === undefined ? undefined : await sessions.findOwn(userId, id)
    if (!session) throw errors.notFound()
    return session
  }

  fastify.get(
    '/',
    { prefixTrailingSlash: 'slash', schema: { ...common, operationId: 'listSessions', summary: "List the caller's sessions", response: withAuthErrors({ 200: Type.Array(SessionView) }) } },
    async (request) => {
      const now = Date.now()
      const rows = await sessions.listOwn(request.user.id)
      return rows.map((s) => toSessionView(s, request.user.sessionId, sessions.policy, now))
    },
  )

  fastify.get(
    '/:id/',
    {
      schema: {
        ...common,
        operationId: 'getSession',
        summary: "One of the caller's sessions",
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionView, 404: Detail }),
      },
    },
    async (request) => toSessionView(await ownSession(request.user.id, request.params.id), request.user.sessionId, sessions.policy, Date.now()),
  )

  fastify.post(
    '/:id/revoke/',
    {
      schema: {
        ...common,
        operationId: 'revokeSession',
        summary: "End one of the caller's sessions",
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionRevoked, 404: Detail }),
      },
    },
    async (request) => {
      const session = await ownSession(request.user.id, request.params.id)
      await sessions.end(session.id, ownerOf(request.user), {
        reason: 'revoked_by_user',
        event: 'session_revoked',
        source: sourceOf(request),
      })
      return { message: 'Session revoked', id: session.id }
    },
  )

  fastify.post(
    '/revoke_all/',
    {
      schema: {
        ...common,
        operationId: 'revokeAllSessions',
        summary: "End all the caller's sessions (optionally all but the current one)",
        body: RevokeAllBody,
        response: withAuthErrors({ 200: RevokedCount }),
      },
    },
    async (request) => {
      const keep = request.body.keep_current === true ? request.user.sessionId : undefined
      const ending = { reason: 'revoked_all_by_user', event: 'session_revoked' as const, source: sourceOf(request) }
      const count = await sessions.endAll(ownerOf(request.user), ending, keep)
      return { message: `Revoked ${count} session(s)`, revoked_sessions: count }
    },
  )
}

export default sessionRoutes
