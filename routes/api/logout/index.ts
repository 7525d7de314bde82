// POST /api/logout/ and the logouts of the other services Keyturn replaces: each ends the
// session of the refresh token it is given (or every session of the caller), with that
// service's answer. All share the blacklist's per-IP limit.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TSchema } from '@sinclair/typebox'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { BlacklistBody, LoggedOut, SessionLoggedOut } from '../../../schemas/blacklist.js'
import { bearerSecurity, Detail, publicSecurity, withAuthErrors } from '../../../schemas/common.js'
import { RevokedCount } from '../../../schemas/sessions.js'

export const prefixOverride = '/api'
const tags = ['logout']

const logout: FastifyPluginAsyncTypebox = async (fastify) => {
  const { blacklist } = fastify
  const authenticated = [...blacklist.rateLimit, fastify.authenticate]

  // A logout by refresh token; `bearer`: the token must be the caller's.
  const byToken = <T extends TSchema>(operationId: string, summary: string, ok: T, bearer = false) => ({
    onRequest: bearer ? authenticated : blacklist.rateLimit,
    schema: {
      operationId,
      tags,
      summary,
      security: bearer ? bearerSecurity : publicSecurity,
      body: BlacklistBody,
      response: withAuthErrors({ 200: ok, 429: Detail }),
    },
  })

  fastify.post('/logout/', byToken('logout', 'Log out: blacklist the refresh token and end its session', LoggedOut), async (request) => {
    await blacklist.add(request.body.refresh, { source: sourceOf(request) })
    return { detail: 'Successfully logged out.' }
  })

  fastify.post('/users/auth/logout/', byToken('logoutOwnToken', "Log out (authenticated): the refresh token must be the caller's", LoggedOut, true), async (request) => {
    await blacklist.add(request.body.refresh, { ownerId: request.user.id, source: sourceOf(request) })
    return { detail: 'Logged out successfully.' }
  })

  fastify.post('/v1/auth/logout/', byToken('logoutSession', 'Log out: end the session of the refresh token', SessionLoggedOut), async (request) => {
    await blacklist.add(request.body.refresh, { source: sourceOf(request) })
    return { message: 'Logout successful', detail: 'Session revoked and token blacklisted' }
  })

  fastify.post(
    '/v1/auth/logout/all/',
    {
      onRequest: authenticated,
      schema: {
        operationId: 'logoutEverywhere',
        tags,
        summary: 'Log out from every device',
        security: bearerSecurity,
        response: withAuthErrors({ 200: RevokedCount, 429: Detail }),
      },
    },
    async (request) => {
      const count = await blacklist.logoutEverywhere(request.user, sourceOf(request))
      return { message: `Logged out from ${count} device(s)`, revoked_sessions: count }
    },
  )
}

export default logout
