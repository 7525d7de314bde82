// A rotated refresh token presented again: by a second tab or a retried request that met the
// same expired access token, by the losers of a concurrent refresh, or by a thief.
//
// Within KEYTURN_ROTATION_GRACE_SECONDS of its rotation (the reuse interval, 10 s by default,
// as Supabase Auth's), every presentation gets the same successor, re-signed from its stored
// row, as long as that successor has not been used itself: two tabs never log their user out,
// and a client whose answer was lost may retry. Past the interval, or once the successor has
// been used, it is a reuse (RFC 9700 4.14.2): refused, and the whole session ends. With 0,
// SimpleJWT's strict rotation: the second presentation is already a reuse.
import type { FastifyInstance } from 'fastify'
import type { RefreshResponse } from '../../schemas/refresh.js'
import { recordAudit, type AuditEntry, type AuditSource } from '../audit/audit-trail.js'
import { sessionsEnded, stageSessionsEnded } from '../sessions/session-ending.js'
import { isSessionActive } from '../sessions/session-policy.js'
import { revokeSession } from '../sessions/sessions-store.js'
import type { RefreshSession } from './refresh-context.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import type { RefreshToken } from '../tokens/tables.js'
import type { TokenClaims, TokenSubject } from '../tokens/token-claims.js'
import { tokenNotValid } from '../tokens/token-errors.js'
import { claimsForNewTokens } from './refresh-claims.js'

// What a refresh has established before it writes anything.
export interface Rotation {
  claims: TokenClaims
  session: RefreshSession
  subject: TokenSubject
  source: AuditSource
  now: number
}

export async function presentedAgain(
  app: FastifyInstance,
  r: Rotation,
  presented: Pick<RefreshToken, 'rotated_at' | 'replaced_by'>,
): Promise<RefreshResponse> {
  const graceMs = app.config.KEYTURN_ROTATION_GRACE_SECONDS * 1000
  const within = graceMs > 0 && presented.rotated_at !== null && r.now - presented.rotated_at <= graceMs
  const successor = within && presented.replaced_by !== null ? await findRefreshToken(app.db, presented.replaced_by) : undefined
  if (!successor || successor.rotated_at !== null || successor.blacklisted_at !== null) return reuseDetected(app, r)
  if (!isSessionActive(r.session, app.sessions.policy, r.now)) throw tokenNotValid('invalid')

  const custom = await claimsForNewTokens(app, r.claims)
  // The successor signed again from its row: the same claims (custom ones carried forward;
  // onRefresh hooks asked again), so the same token wherever the signature is deterministic.
  const refresh = app.tokens.resign({
    ...r.claims,
    ...custom.refresh,
    jti: successor.jti,
    iat: Math.floor(successor.issued_at / 1000),
    exp: Math.floor(successor.expires_at / 1000),
  })
  const access = app.tokens.issue('access', r.subject, r.now, r.session.expires_at, custom.access)
  await recordAudit(app.db, r.source, { ...auditEntry(r, 'refresh'), detail: 'reuse_interval' }, r.now)
  app.events.emit('refresh', { ...r.source, ...r.subject, retried: true }, r.now)
  return { access: access.token, refresh }
}

// A rotated token presented again past the reuse interval: the whole session ends.
async function reuseDetected(app: FastifyInstance, r: Rotation): Promise<never> {
  const { sessionId } = r.subject
  const ended = await app.db.transaction().execute(async (trx) => {
    const revoked = await revokeSession(trx, sessionId, 'refresh_token_reuse', r.now)
    if (revoked) {
      // The address that presented the rotated token, beside the session's own.
      const extra = { presented_from: { ip_address: r.source.ip, user_agent: r.source.userAgent } }
      await app.webhooks.stage(trx, { type: 'session.reuse_detected', ...r.subject, extra }, r.now)
      await stageSessionsEnded(app, trx, [sessionId], r.subject, 'refresh_token_reuse', r.now)
    }
    await recordAudit(trx, r.source, auditEntry(r, 'refresh_reuse'), r.now)
    return revoked
  })
  if (ended) {
    app.events.emit('reuse_detected', { ...r.source, ...r.subject }, r.now)
    sessionsEnded(app, [sessionId], r.subject, 'refresh_token_reuse', r.now)
  } else {
    // Ended already (another presentation's reuse, a logout): this memory learns it now.
    app.revocations.sessionRevoked(sessionId, r.now)
  }
  app.log.warn(
    { event: 'refresh_token_reuse', sessionId, userId: r.claims.user_id, jtiPrefix: r.claims.jti.slice(0, 8) },
    'rotated refresh token presented again: session revoked',
  )
  throw tokenNotValid('blacklisted')
}

function auditEntry(r: Rotation, event: 'refresh' | 'refresh_reuse'): AuditEntry {
  const { userId, clientId, sessionId } = r.subject
  return { event, outcome: event === 'refresh' ? 'success' : 'failure', userId, clientId, sessionId }
}
