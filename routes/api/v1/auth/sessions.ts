// The caller's own sessions (devices). Another user's session id answers exactly like one
// that does not exist.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from '../../../../auth/errors.js'
import { sourceOf } from '../../../../auth/audit.js'
import { endSession, endUserSessions, ownerOf } from '../../../../auth/session-revocation.js'
import { sessionPolicy } from '../../../../auth/session-policy.js'
import { toSessionView } from '../../../../auth/session-view.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../../../schemas/common.js'
import {
  parseSessionId,
  RevokeAllBody,
  RevokedCount,
  SessionIdParams,
  SessionRevoked,
  SessionView,
} from '../../../../schemas/sessions.js'
import { findUserSession, listUserSessions } from '../../../../store/sessions.js'

const sessions: FastifyPluginAsyncTypebox = async (fastify) => {
  const policy = sessionPolicy(fastify.config)
  fastify.addHook('onRequest', fastify.authenticate)
  const common = { tags: ['sessions'], security: bearerSecurity }

  async function ownSession(userId: number, rawId: string) {
    const id = parseSessionId(rawId)
    const session = id === undefined ? undefined : await findUserSession(fastify.db, userId, id)
    if (!session) throw errors.notFound()
    return session
  }

  fastify.get(
    '/sessions/',
    { schema: { ...common, summary: "List the caller's sessions", response: withAuthErrors({ 200: Type.Array(SessionView) }) } },
    async (request) => {
      const now = Date.now()
      const rows = await listUserSessions(fastify.db, request.user.id)
      return rows.map((s) => toSessionView(s, request.user.sessionId, policy, now))
    },
  )

  fastify.get(
    '/sessions/:id/',
    {
      schema: {
        ...common,
        summary: 'One of the caller\'s sessions',
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionView, 404: Detail }),
      },
    },
    async (request) => toSessionView(await ownSession(request.user.id, request.params.id), request.user.sessionId, policy, Date.now()),
  )

  fastify.post(
    '/sessions/:id/revoke/',
    {
      schema: {
        ...common,
        summary: 'End one of the caller\'s sessions',
        params: SessionIdParams,
        response: withAuthErrors({ 200: SessionRevoked, 404: Detail }),
      },
    },
    async (request) => {
      const session = await ownSession(request.user.id, request.params.id)
      await endSession(fastify, session.id, ownerOf(request.user), {
        reason: 'revoked_by_user',
        event: 'session_revoked',
        source: sourceOf(request),
      })
      return { message: 'Session revoked', id: session.id }
    },
  )

  fastify.post(
    '/sessions/revoke_all/',
    {
      schema: {
        ...common,
        summary: "End all the caller's sessions (optionally all but the current one)",
        body: RevokeAllBody,
        response: withAuthErrors({ 200: RevokedCount }),
      },
    },
    async (request) => {
      const keep = request.body.keep_current === true ? request.user.sessionId : undefined
      const ending = { reason: 'revoked_all_by_user', event: 'session_revoked' as const, source: sourceOf(request) }
      const count = await endUserSessions(fastify, ownerOf(request.user), ending, keep)
      return { message: `Revoked ${count} session(s)`, revoked_sessions: count }
    },
  )
}

export default sessions
