// The custom claims of the tokens a refresh mints: the presented refresh token's, carried
// forward as SimpleJWT does, plus what plugins' onRefresh hooks give now.
import type { FastifyInstance } from 'fastify'
import { findSession } from '../sessions/sessions-store.js'
import { claimClient, claimUser, customClaimsOf, type CustomClaims } from '../tokens/custom-claims.js'
import type { TokenClaims } from '../tokens/token-claims.js'
import { tokenNotValid } from '../tokens/token-errors.js'

export interface NewTokenClaims {
  access?: CustomClaims
  refresh?: CustomClaims
}

export async function claimsForNewTokens(app: FastifyInstance, presented: TokenClaims, sessionId: number): Promise<NewTokenClaims> {
  const carried = customClaimsOf(presented)
  const hooks = app.tokens.claims
  if (!hooks.anyOnRefresh) return { access: carried, refresh: carried }
  const [user, session] = await Promise.all([app.revocations.loadUser(presented.user_id), findSession(app.db, sessionId)])
  if (!user || !session) throw tokenNotValid('blacklisted')
  const fresh = await hooks.pair(
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
