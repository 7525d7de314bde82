/// <reference types="@fastify/jwt" preserve="true" />
// (`request.user` is typed through @fastify/jwt's FastifyJWT interface, so a server that embeds
// Keyturn and uses @fastify/jwt too sees one declaration of it, not two that clash. The
// reference keeps those types in what this package ships to plugin authors.)
// The `authenticate` concern: SimpleJWT's JWTAuthentication as a Fastify decorator, with the
// same header rules and the same error bodies. A valid access token costs one HMAC and a few
// map look-ups: revoked sessions and user state come from memory (plugins/revocation/).
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { errors, unauthorized } from '../infra/api-error.js'
import type { TokenClaims } from '../tokens/token-claims.js'
import { bearerTokenNotValid, TokenError } from '../tokens/token-errors.js'
import { isAccountExpired } from '../users/users-store.js'

// Who made an authenticated request: `request.user` after authenticate.
export interface AuthenticatedUser {
  id: number
  username: string
  clientId: number | null
  isStaff: boolean
  isSuperuser: boolean
  sessionId: number
  jti: string
  // The access token's verified claims, plugins' custom claims included.
  claims: Readonly<TokenClaims & Record<string, unknown>>
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: AuthenticatedUser
  }
}

// SimpleJWT's answers on Bearer routes, but for a bad token (token-errors.ts).
export const authErrors = {
  notAuthenticated: () => unauthorized({ detail: 'Authentication credentials were not provided.' }),
  badAuthorizationHeader: () =>
    unauthorized({
      detail: 'Authorization header must contain two space-delimited values',
      code: 'bad_authorization_header',
    }),
  userNotFound: () => unauthorized({ detail: 'User not found', code: 'user_not_found' }),
  userInactive: () => unauthorized({ detail: 'User is inactive', code: 'user_inactive' }),
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    // After authenticate: staff (or superusers) only, else 403.
    requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

export default fp(
  async (fastify) => {
    const headerTypes = new Set(fastify.config.KEYTURN_AUTH_HEADER_TYPES)
    const { tokens, revocations } = fastify
    // Declared once per server: an embedding server's @fastify/jwt may have done it.
    if (!fastify.hasRequestDecorator('user')) fastify.decorateRequest('user', null as unknown as AuthenticatedUser)

    fastify.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const header = request.headers.authorization
      if (header === undefined) throw authErrors.notAuthenticated()
      const parts = header.split(/\s+/).filter((p) => p !== '')
      if (parts.length === 0 || !headerTypes.has(parts[0] as string)) throw authErrors.notAuthenticated()
      if (parts.length !== 2) throw authErrors.badAuthorizationHeader()

      let claims
      try {
        claims = tokens.decode(parts[1] as string, 'access')
      } catch (err) {
        if (err instanceof TokenError) throw bearerTokenNotValid(err.problem)
        throw err
      }
      const now = Date.now()
      revocations.assertFresh(now)
      // The user first: deactivating a user ends its sessions too, but the client must hear
      // the code it reacts to (user_inactive), not that its token was blacklisted.
      const user = await revocations.loadUser(claims.user_id)
      if (user === null) throw authErrors.userNotFound()
      if (user.is_active !== 1 || isAccountExpired(user, now)) throw authErrors.userInactive()
      const revoked = revocations.isSessionRevoked(claims.sid)
      if (revoked === true || (revoked !== false && (await revoked))) throw bearerTokenNotValid('blacklisted')
      request.user = {
        id: user.id,
        username: user.username,
        clientId: user.client_id,
        isStaff: user.is_staff === 1,
        isSuperuser: user.is_superuser === 1,
        sessionId: claims.sid,
        jti: claims.jti,
        claims: claims as AuthenticatedUser['claims'],
      }
    })

    fastify.decorate('requireStaff', async function requireStaff(request: FastifyRequest) {
      if (!request.user.isStaff && !request.user.isSuperuser) throw errors.permissionDenied()
    })
  },
  { name: 'authenticate', dependencies: ['config', 'tokens', 'revocations'] },
)
