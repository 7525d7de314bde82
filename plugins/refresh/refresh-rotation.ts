// Refresh with rotation. The old token is claimed by one conditional UPDATE, written
// together with its successor (refresh-commit.ts), so of N concurrent refreshes
// exactly one wins.
// A token that was already rotated is a reuse (RFC 9700 4.14.2): the whole session ends,
// unless the optional grace window lets a client whose answer was lost retry once.
import type { FastifyInstance } from 'fastify'
import { auditRow, recordAudit, type AuditEntry, type AuditSource } from '../audit/audit-trail.js'
import { unauthorized } from '../infra/api-error.js'
import type { Transaction } from '../infra/store/database.js'
import type { EventSource } from '../events/event-types.js'
import { sessionsEnded, type SessionOwner } from '../sessions/session-ending.js'
import { isSessionActive } from '../sessions/session-policy.js'
import { findSession, revokeSession } from '../sessions/sessions-store.js'
import { claimClient, claimUser, customClaimsOf, type CustomClaims } from '../tokens/custom-claims.js'
import { decodeForTokenEndpoint } from '../tokens/index.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import type { TokenClaims } from '../tokens/token-claims.js'
import { tokenNotValid } from '../tokens/token-errors.js'
import { isAccountExpired } from '../users/users-store.js'
import { claimGraceRetry, commitRefresh } from './refresh-commit.js'
import { findRefreshContext, type PresentedToken } from './refresh-context.js'

// The user of a refresh token is gone, inactive or expired.
const noActiveAccountForToken = () => unauthorized({ detail: 'No active account found for the given token.' })

export interface RefreshResult {
  access: string
  refresh?: string
}

export async function refreshTokens(app: FastifyInstance, raw: string, source: AuditSource, now = Date.now()): Promise<RefreshResult> {
  const { db, tokens, config, revocations } = app
  const claims = decodeForTokenEndpoint(tokens, raw, 'refresh')
  const rotate = config.KEYTURN_ROTATE_REFRESH_TOKENS
  const blacklistAfterRotation = rotate && config.KEYTURN_BLACKLIST_AFTER_ROTATION

  // Read outside any transaction (committed rows only): what is decided here is made safe by
  // the writes, which claim the token only if it is still unrotated and unblacklisted.
  const context = await findRefreshContext(db, claims.jti, claims.sid, claims.user_id)
  if (!context) throw noActiveAccountForToken()
  const { user, token: row, session } = context
  // The user before the session: a deactivated user's sessions were ended too, but the
  // client must hear that the account is gone, not that its token was blacklisted.
  if (user.is_active !== 1 || isAccountExpired(user, now)) throw noActiveAccountForToken()
  if (revocations.state.isSessionRevoked(claims.sid)) throw tokenNotValid('blacklisted')
  // Signed by us but unknown to the store: flushed, or from a store that was reset.
  if (!row || row.user_id !== user.id || row.session_id !== claims.sid) throw tokenNotValid('invalid')
  if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')
  const subject = { userId: user.id, clientId: user.client_id, sessionId: session.id }
  const auditEntry = (event: 'refresh' | 'refresh_reuse', detail?: string): AuditEntry => ({
    event,
    outcome: event === 'refresh' ? 'success' : 'failure',
    userId: user.id,
    clientId: user.client_id,
    sessionId: session.id,
    detail,
  })

  const refreshed = { ...source, userId: user.id, clientId: user.client_id, sessionId: session.id }
  // The refresh token's custom claims go forward into the new tokens (SimpleJWT copies a
  // refresh token's claims); plugins' onRefresh hooks add theirs, before anything is written.
  const custom = await claimsForNewTokens(app, claims, session.id)

  if (row.rotated_at !== null && blacklistAfterRotation) {
    const retry = await db.transaction().execute(async (trx) => {
      const successor = await graceRetry(app, trx, row, claims, now)
      if (successor) await recordAudit(trx, source, auditEntry('refresh', 'grace_retry'), now)
      return successor
    })
    if (retry) {
      app.events.emit('refresh', { ...refreshed, retried: true }, now)
      return { access: tokens.issue('access', subject, now, session.expires_at, custom.access).token, refresh: retry }
    }
    return reuseDetected(app, refreshed, claims, source, auditEntry('refresh_reuse'), now)
  }
  if (row.blacklisted_at !== null) throw tokenNotValid('blacklisted')
  if (!isSessionActive(session, app.sessions.policy, now)) throw tokenNotValid('invalid')

  const access = tokens.issue('access', subject, now, session.expires_at, custom.access)
  const successor = rotate ? tokens.issue('refresh', subject, now, session.expires_at, custom.refresh) : undefined
  const committed = await commitRefresh(db, {
    now,
    sessionId: session.id,
    userId: user.id,
    ...(blacklistAfterRotation ? { claimJti: claims.jti } : {}),
    ...(successor ? { successor: { jti: successor.jti, expiresAt: successor.expiresAt } } : {}),
    audit: auditRow(source, auditEntry('refresh')),
  })
  // Lost the race to a concurrent refresh (or a logout) of the same token: a reuse too.
  if (!committed) return reuseDetected(app, refreshed, claims, source, auditEntry('refresh_reuse', 'concurrent'), now)
  app.events.emit('refresh', { ...refreshed, retried: false }, now)
  return successor ? { access: access.token, refresh: successor.token } : { access: access.token }
}

// The custom claims of the new access and refresh tokens.
async function claimsForNewTokens(
  app: FastifyInstance,
  presented: TokenClaims,
  sessionId: number,
): Promise<{ access?: CustomClaims; refresh?: CustomClaims }> {
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

// A rotated token presented again (RFC 9700 4.14.2): the whole session ends.
async function reuseDetected(
  app: FastifyInstance,
  who: EventSource & SessionOwner & { sessionId: number },
  claims: TokenClaims,
  source: AuditSource,
  entry: AuditEntry,
  now: number,
): Promise<never> {
  const ended = await app.db.transaction().execute(async (trx) => {
    const revoked = await revokeSession(trx, who.sessionId, 'refresh_token_reuse', now)
    await recordAudit(trx, source, entry, now)
    return revoked
  })
  // Ended by this call or not (another instance's reuse, a logout), this memory learns it now.
  app.revocations.sessionRevoked(who.sessionId, now)
  app.events.emit('reuse_detected', who, now)
  if (ended) sessionsEnded(app, [who.sessionId], who, 'refresh_token_reuse', now)
  app.log.warn(
    { event: 'refresh_token_reuse', sessionId: who.sessionId, userId: claims.user_id, jtiPrefix: claims.jti.slice(0, 8) },
    'rotated refresh token presented again: session revoked',
  )
  throw tokenNotValid('blacklisted')
}

// Within KEYTURN_ROTATION_GRACE_SECONDS of its rotation, a token may be presented once more
// and gets the same successor, if that successor has not been used yet. Returns the
// successor token, or undefined when this is a genuine reuse.
async function graceRetry(
  app: FastifyInstance,
  trx: Transaction,
  row: PresentedToken,
  claims: TokenClaims,
  now: number,
): Promise<string | undefined> {
  const graceMs = app.config.KEYTURN_ROTATION_GRACE_SECONDS * 1000
  if (graceMs === 0 || row.replaced_by === null || row.rotated_at === null || now - row.rotated_at > graceMs) return undefined
  if (!(await claimGraceRetry(trx, row.jti, now))) return undefined
  const successor = await findRefreshToken(trx, row.replaced_by)
  if (!successor || successor.rotated_at !== null || successor.blacklisted_at !== null) return undefined
  return app.tokens.resign({
    ...claims,
    jti: successor.jti,
    iat: Math.floor(successor.issued_at / 1000),
    exp: Math.floor(successor.expires_at / 1000),
  })
}
