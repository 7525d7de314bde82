// The `oauth` concern: what service accounts do with their credentials. Client credentials
// (RFC 6749 §4.4) give them tokens of their own; introspection (RFC 7662) tells them whether
// a token is good now, revocation-aware as Bearer routes are; revocation (RFC 7009) ends a
// token's session. A tenant's service never learns about, nor ends, another tenant's tokens.
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { recordAudit, sourceOf } from '../audit/audit-trail.js'
import { accountThrottle } from '../login/account-throttle.js'
import type { ServiceAccount } from '../service-accounts/index.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import { TokenError } from '../tokens/token-errors.js'
import { isAccountExpired } from '../users/users-store.js'
import { basicHeaderOf, clientCredentials } from './client-credentials.js'
import { KnownCredentials } from './known-credentials.js'
import { clientThrottled, oauthError } from './oauth-errors.js'

export interface TokenGrant {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
}

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>)

export interface OAuthService {
  // The service account the request's credentials name; throws the RFC error otherwise.
  authenticateClient(request: FastifyRequest): Promise<ServiceAccount>
  clientCredentials(account: ServiceAccount, scope: unknown, request: FastifyRequest): Promise<TokenGrant>
  introspect(caller: ServiceAccount, token: string): Promise<Introspection>
  revoke(caller: ServiceAccount, token: string, request: FastifyRequest): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    oauth: OAuthService
  }
}

const INACTIVE = Object.freeze({ active: false as const })

// Services each send one Authorization header, or two while a secret is rotated.
const KNOWN_CREDENTIALS_KEPT = 10_000

export default fp(
  async (fastify) => {
    const { db, tokens, revocations, serviceAccounts, sessions, config } = fastify
    const throttle = accountThrottle(fastify, 'oauth-')
    const knownCredentials = new KnownCredentials(KNOWN_CREDENTIALS_KEPT)
    // A tenant's service sees its own tenant's tokens; a global one (no tenant), every one.
    const sees = (caller: ServiceAccount, clientId: number | null) => caller.client_id === null || caller.client_id === clientId
    const issuer = { ...(config.KEYTURN_ISSUER ? { iss: config.KEYTURN_ISSUER } : {}), ...(config.KEYTURN_AUDIENCE ? { aud: config.KEYTURN_AUDIENCE } : {}) }

    // A token introspection and revocation may describe or end; undefined for anything forged,
    // expired or malformed, which they answer alike without saying why.
    function inspectOrUndefined(token: string) {
      try {
        return tokens.inspect(token)
      } catch (err) {
        if (err instanceof TokenError) return undefined
        throw err
      }
    }

    const service: OAuthService = {
      async authenticateClient(request) {
        // Credentials seen before: no decoding, backoff bookkeeping or hashing again. A known
        // credential is no guess, so guesses at its client_id never lock out the service.
        const basic = basicHeaderOf(request)
        const known = basic === undefined ? undefined : knownCredentials.get(basic, Date.now())
        if (known !== undefined) {
          const account = await serviceAccounts.find(known.account.oauth_client_id)
          if (account === known.account && account.is_active === 1) return account
          knownCredentials.forget(basic as string)
        }
        const { clientId, secret } = clientCredentials(request)
        const { wait } = await throttle.attempt(clientId, Date.now())
        if (wait > 0) throw clientThrottled(wait)
        const authenticated = await serviceAccounts.authenticate(clientId, secret, Date.now())
        if (authenticated === undefined) {
          await recordAudit(db, sourceOf(request), { event: 'service_token', outcome: 'failure', detail: `client ${clientId.slice(0, 64)} refused` }, Date.now())
          throw oauthError('invalid_client')
        }
        await throttle.succeeded(clientId)
        if (basic !== undefined) knownCredentials.remember(basic, authenticated.account, authenticated.validUntil)
        return authenticated.account
      },

      async clientCredentials(account, scope, request) {
        if (scope !== undefined && typeof scope !== 'string') throw oauthError('invalid_request', 'scope must be a string.')
        const held = serviceAccounts.scopesOf(account)
        const asked = scope === undefined ? held : scope.split(' ').filter((s) => s !== '')
        if (asked.some((s) => !held.includes(s))) throw oauthError('invalid_scope')
        const granted = [...new Set(asked)].join(' ')
        const now = Date.now()
        const issued = tokens.issueService({ oauthClientId: account.oauth_client_id, clientId: account.client_id, scope: granted }, now)
        await recordAudit(db, sourceOf(request), { event: 'service_token', outcome: 'success', clientId: account.client_id, detail: account.oauth_client_id }, now)
        // exp - iat, as the token says it (whole seconds).
        const expiresIn = issued.expiresAt / 1000 - Math.floor(now / 1000)
        return { access_token: issued.token, token_type: 'Bearer', expires_in: expiresIn, scope: granted }
      },

      async introspect(caller, token) {
        const inspected = inspectOrUndefined(token)
        if (inspected === undefined) return INACTIVE
        const now = Date.now()
        revocations.assertFresh(now)
        if (inspected.kind === 'service') {
          const c = inspected.claims
          if (!sees(caller, c.client_id)) return INACTIVE
          const account = await serviceAccounts.find(c.sub)
          if (account === undefined || account.is_active !== 1 || account.client_id !== c.client_id) return INACTIVE
          return { active: true, token_type: 'access', sub: c.sub, client_id: c.client_id, scope: c.scope, exp: c.exp, iat: c.iat, jti: c.jti, ...issuer }
        }
        const c = inspected.claims
        if (!sees(caller, c.client_id)) return INACTIVE
        const revoked = revocations.isSessionRevoked(c.sid)
        if (revoked === true || (revoked !== false && (await revoked))) return INACTIVE
        const user = await revocations.loadUser(c.user_id)
        if (user === null || user.is_active !== 1 || isAccountExpired(user, now) || user.client_id !== c.client_id) return INACTIVE
        if (c.token_type === 'refresh') {
          // A refresh token is good once: rotated or blacklisted, it is spent.
          const row = await findRefreshToken(db, c.jti)
          if (row === undefined || row.blacklisted_at !== null || row.rotated_at !== null) return INACTIVE
        }
        return {
          active: true,
          token_type: c.token_type,
          sub: String(c.user_id),
          user_id: c.user_id,
          username: user.username,
          client_id: c.client_id,
          sid: c.sid,
          exp: c.exp,
          iat: c.iat,
          jti: c.jti,
          ...issuer,
        }
      },

      async revoke(caller, token, request) {
        const inspected = inspectOrUndefined(token)
        if (inspected === undefined) return
        // A service token has no session to end; it lasts KEYTURN_SERVICE_TOKEN_LIFETIME, and
        // disabling its account makes introspection refuse it at once.
        if (inspected.kind === 'service') return
        const c = inspected.claims
        if (!sees(caller, c.client_id)) return
        const source = sourceOf(request)
        await sessions.end(c.sid, { userId: c.user_id, clientId: c.client_id }, { reason: 'revoked_by_service', event: 'session_revoked', source })
        await recordAudit(
          db,
          source,
          { event: 'token_revoked', outcome: 'success', userId: c.user_id, clientId: c.client_id, sessionId: c.sid, detail: caller.oauth_client_id },
          Date.now(),
        )
      },
    }
    fastify.decorate('oauth', service)
  },
  { name: 'oauth', dependencies: ['config', 'db', 'redis', 'tokens', 'revocations', 'sessions', 'service-accounts', 'audit'] },
)
