// The logouts of the services Keyturn replaces: each ends the session of the refresh token
// it is given (or every session of the caller), with that service's answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { blacklistToken } from '../../auth/blacklist.js'
import { sourceOf } from '../../auth/audit.js'
import { endUserSessions, ownerOf } from '../../auth/session-revocation.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../schemas/common.js'
import { RevokedCount } from '../../schemas/sessions.js'
import { RefreshBody } from '../../schemas/token.js'

const tags = ['logout']

const logout: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/logout/',
    {
      onRequest: fastify.rateLimits.blacklist,
      schema: {
        tags,
        summary: 'Log out: blacklist the refresh token and end its session',
        body: RefreshBody,
        response: withAuthErrors({ 200: Type.Object({ detail: Type.String() }), 429: Detail }),
      },
    },
    async (request) => {
      await blacklistToken(fastify, request.body.refresh, { source: sourceOf(request) })
      return { detail: 'Successfully logged out.' }
    },
  )

  fastify.post(
    '/users/auth/logout/',
    {
      onRequest: [...fastify.rateLimits.blacklist, fastify.authenticate],
      schema: {
        tags,
        summary: "Log out (authenticated): the refresh token must be the caller's",
        security: bearerSecurity,
        body: RefreshBody,
        response: withAuthErrors({ 200: Type.Object({ detail: Type.String() }), 429: Detail }),
      },
    },
    async (request) => {
      await blacklistToken(fastify, request.body.refresh, { ownerId: request.user.id, source: sourceOf(request) })
      return { detail: 'Logged out successfully.' }
    },
  )

  fastify.post(
    '/v1/auth/logout/',
    {
      onRequest: fastify.rateLimits.blacklist,
      schema: {
        tags,
        summary: 'Log out: end the session of the refresh token',
        body: RefreshBody,
        response: withAuthErrors({ 200: Type.Object({ message: Type.String(), detail: Type.String() }), 429: Detail }),
      },
    },
    async (request) => {
      await blacklistToken(fastify, request.body.refresh, { source: sourceOf(request) })
      return { message: 'Logout successful', detail: 'Session revoked and token blacklisted' }
    },
  )

  fastify.post(
    '/v1/auth/logout/all/',
    {
      onRequest: [...fastify.rateLimits.blacklist, fastify.authenticate],
      schema: {
        tags,
        summary: 'Log out from every device',
        security: bearerSecurity,
        response: withAuthErrors({ 200: RevokedCount, 429: Detail }),
      },
    },
    async (request) => {
      const ending = { reason: 'logout_all', event: 'logout' as const, source: sourceOf(request) }
      const count = await endUserSessions(fastify, ownerOf(request.user), ending)
      return { message: `Logged out from ${count} device(s)`, revoked_sessions: count }
    },
  )
}

export default logout
