// Refresh with rotation. The old token is claimed by one conditional UPDATE, written
// together with its successor (refresh-commit.ts), so of N concurrent refreshes exactly one
// rotates it: one successor row. The others, and any later presentation of the rotated token,
// are handled by presented-again.ts: within the reuse interval they get the same successor,
// past it they are a reuse that ends the session.
import type { FastifyInstance } from 'fastify'
import type { RefreshResponse } from '../../schemas/refresh.js'
import { auditRow, type AuditEntry, type AuditSource } from '../audit/audit-trail.js'
import { unauthorized } from '../infra/api-error.js'
import { isSessionActive } from '../sessions/session-policy.js'
import { decodeForTokenEndpoint } from '../tokens/index.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import { tokenNotValid } from '../tokens/token-errors.js'
import { isAccountExpired } from '../users/users-store.js'
import { presentedAgain, type Rotation } from './presented-again.js'
import { commitRefresh } from './refresh-commit.js'
import { claimsForNewTokens } from './refresh-claims.js'
import { findRefreshContext } from './refresh-context.js'

// The user of a refresh token is gone, inactive or expired.
const noActiveAccountForToken = () => unauthorized({ detail: 'No active account found for the given token.' })

export async function refreshTokens(app: FastifyInstance, raw: string, source: AuditSource, now = Date.now()): Promise<RefreshResponse> {
  const { db, tokens, config, revocations } = app
  const claims = decodeForTokenEndpoint(tokens, raw, 'refresh')
  const rotate = config.KEYTURN_ROTATE_REFRESH_TOKENS
  const blacklistAfterRotation = rotate && config.KEYTURN_BLACKLIST_AFTER_ROTATION
  // A session this instance knows is revoked is refused from memory: no store round trip.
  // Its user first (from memory too, mostly): a deactivated user's sessions end with it, but
  // the client must hear that the account is gone, not that its token was blacklisted.
  if (revocations.state.isSessionRevoked(claims.sid)) {
    const user = await revocations.loadUser(claims.user_id)
    if (!user || user.is_active !== 1 || isAccountExpired(user, now)) throw noActiveAccountForToken()
    throw tokenNotValid('blacklisted')
  }

  // Read outside any transaction (committed rows only): what is decided here is made safe by
  // the writes, which claim the token only if it is still unrotated and unblacklisted.
  const context = await findRefreshContext(db, claims.jti, claims.sid, claims.user_id)
  if (!context) throw noActiveAccountForToken()
  const { user, token: row, session } = context
  if (user.is_active !== 1 || isAccountExpired(user, now)) throw noActiveAccountForToken()
  // Signed by us but unknown to the store: flushed, or from a store that was reset.
  if (!row || row.user_id !== user.id || row.session_id !== claims.sid) throw tokenNotValid('invalid')
  if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')

  const rotation: Rotation = { claims, session, subject: { userId: user.id, clientId: user.client_id, sessionId: session.id }, source, now }
  if (row.rotated_at !== null && blacklistAfterRotation) return presentedAgain(app, rotation, row)
  if (row.blacklisted_at !== null) throw tokenNotValid('blacklisted')
  if (!isSessionActive(session, app.sessions.policy, now)) throw tokenNotValid('invalid')

  // The refresh token's custom claims go forward into the new tokens (SimpleJWT copies a
  // refresh token's claims); plugins' onRefresh hooks give theirs, before anything is written.
  const pending = claimsForNewTokens(app, claims)
  const custom = pending instanceof Promise ? await pending : pending
  const access = tokens.issue('access', rotation.subject, now, session.expires_at, custom.access)
  const successor = rotate ? tokens.issue('refresh', rotation.subject, now, session.expires_at, custom.refresh) : undefined
  const entry: AuditEntry = { event: 'refresh', outcome: 'success', userId: user.id, clientId: user.client_id, sessionId: session.id }
  const committed = await commitRefresh(db, {
    now,
    sessionId: session.id,
    userId: user.id,
    ...(blacklistAfterRotation ? { claimJti: claims.jti } : {}),
    ...(successor ? { successor: { jti: successor.jti, expiresAt: successor.expiresAt } } : {}),
    audit: auditRow(source, entry),
  })
  if (!committed) {
    // Lost to a concurrent refresh of the same token (it is rotated now, committed) or to a
    // logout (blacklisted, its session ended by it).
    const current = await findRefreshToken(db, claims.jti)
    if (current && current.rotated_at !== null) return presentedAgain(app, rotation, current)
    throw tokenNotValid('blacklisted')
  }
  app.events.emit('refresh', { ...source, ...rotation.subject, retried: false }, now)
  return successor ? { access: access.token, refresh: successor.token } : { access: access.token }
}
