// SimpleJWT's JWTAuthentication as a Fastify decorator: the same header rules, the same
// error bodies. A valid access token costs one HMAC and a few map look-ups: revoked
// sessions and user state come from memory (see plugins/revocation.ts).
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { bearerTokenNotValid, errors, TokenError } from '../auth/errors.js'
import { isAccountExpired } from '../store/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    // After authenticate: staff (or superusers) only, else 403.
    requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

export default fp(
  async (fastify) => {
    const headerTypes = new Set(fastify.config.KEYTURN_AUTH_HEADER_TYPES.split(','))
    const { tokens, revocations } = fastify

    fastify.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const header = request.headers.authorization
      if (header === undefined) throw errors.notAuthenticated()
      const parts = header.split(/\s+/).filter((p) => p !== '')
      if (parts.length === 0 || !headerTypes.has(parts[0] as string)) throw errors.notAuthenticated()
      if (parts.length !== 2) throw errors.badAuthorizationHeader()

      let claims
      try {
        claims = tokens.decode(parts[1] as string, 'access')
      } catch (err) {
        if (err instanceof TokenError) throw bearerTokenNotValid(err.problem)
        throw err
      }
      const now = Date.now()
      revocations.assertFresh(now)
      if (revocations.state.isSessionRevoked(claims.sid)) throw bearerTokenNotValid('blacklisted')

      const user = await revocations.loadUser(claims.user_id)
      if (user === null) throw errors.userNotFound()
      if (user.is_active !== 1 || isAccountExpired(user, now)) throw errors.userInactive()
      request.user = {
        id: user.id,
        username: user.username,
        clientId: user.client_id,
        isStaff: user.is_staff === 1,
        isSuperuser: user.is_superuser === 1,
        sessionId: claims.sid,
        jti: claims.jti,
      }
    })

    fastify.decorate('requireStaff', async function requireStaff(request: FastifyRequest) {
      if (!request.user.isStaff && !request.user.isSuperuser) throw errors.permissionDenied()
    })
  },
  { name: 'authenticate', dependencies: ['config', 'tokens', 'revocations'] },
)
