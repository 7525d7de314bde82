// The custom claims of the tokens a refresh mints: the presented refresh token's, carried
// forward as SimpleJWT does, and what plugins' onRefresh hooks give now (asked only once the
// refresh is sure to mint tokens, and only when there are such hooks).
import type { FastifyInstance } from 'fastify'
import { findSession } from '../sessions/sessions-store.js'
import { claimClient, claimUser, type CustomClaims } from '../tokens/custom-claims.js'
import type { TokenClaims } from '../tokens/token-claims.js'
import { tokenNotValid } from '../tokens/token-errors.js'

export interface NewTokenClaims {
  access?: CustomClaims
  refresh?: CustomClaims
}

export function claimsForNewTokens(app: FastifyInstance, presented: TokenClaims): NewTokenClaims | Promise<NewTokenClaims> {
  const hooks = app.tokens.claims
  const carried = hooks.carried(presented)
  // Synchronous when no hook asks to be called: a refresh is the hottest write there is.
  if (!hooks.anyOnRefresh) return { access: carried, refresh: carried }
  return withFreshClaims(app, presented, carried)
}

async function withFreshClaims(app: FastifyInstance, presented: TokenClaims, carried: CustomClaims | undefined): Promise<NewTokenClaims> {
  const [user, session] = await Promise.all([app.revocations.loadUser(presented.user_id), findSession(app.db, presented.sid)])
  if (!user || !session) throw tokenNotValid('blacklisted')
  const fresh = await app.tokens.claims.pair(
    {
      user: claimUser(user),
      session: { id: session.id, clientType: session.client_type, deviceName: session.device_name, ipAddress: session.ip_address, userAgent: session.user_agent },
      client: claimClient(user),
      grant: 'refresh',
    },
    true,
  )
  return { access: { ...carried, ...fresh.access }, refresh: { ...carried, ...fresh.refresh } }
}
