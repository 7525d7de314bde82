// Blacklisting a refresh token ends its session: the token, every other refresh token of
// the session, and (through the revocation log) its access tokens on every instance. The
// revocation is committed before the answer is sent.
import type { FastifyInstance } from 'fastify'
import { recordAudit, type AuditSource } from '../audit/audit-trail.js'
import type { AuthenticatedUser } from '../authentication/index.js'
import { endUserSessions, ownerOf, sessionsEnded, stageSessionsEnded } from '../sessions/session-ending.js'
import { revokeSession } from '../sessions/sessions-store.js'
import { decodeForTokenEndpoint } from '../tokens/index.js'
import { blacklistRefreshToken, findRefreshToken } from '../tokens/outstanding-tokens.js'
import { tokenNotValid } from '../tokens/token-errors.js'

export interface BlacklistOptions {
  source: AuditSource
  // On Bearer routes: a refresh token of another user is refused and nothing is revoked.
  ownerId?: number
  reason?: string
}

export async function blacklistToken(
  app: FastifyInstance,
  raw: string,
  options: BlacklistOptions,
): Promise<{ sessionId: number }> {
  const { db, tokens, revocations } = app
  const claims = decodeForTokenEndpoint(tokens, raw, 'refresh')
  if (options.ownerId !== undefined && claims.user_id !== options.ownerId) throw tokenNotValid('invalid')
  const now = Date.now()

  const reason = options.reason ?? 'logout'
  const { fresh, ended, sessionId, userId } = await db.transaction().execute(async (trx) => {
    const row = await findRefreshToken(trx, claims.jti)
    if (!row || row.session_id !== claims.sid) throw tokenNotValid('invalid')
    const fresh = await blacklistRefreshToken(trx, claims.jti, now)
    // A stale token still says "log this device out": the session ends either way.
    const ended = await revokeSession(trx, row.session_id, reason, now)
    if (ended) await stageSessionsEnded(app, trx, [row.session_id], { userId: row.user_id, clientId: claims.client_id }, reason, now)
    // A stale token is recorded as a failed logout: the session ends, the client hears 401.
    await recordAudit(
      trx,
      options.source,
      { event: 'logout', outcome: fresh ? 'success' : 'failure', userId: row.user_id, clientId: claims.client_id, sessionId: row.session_id, detail: reason },
      now,
    )
    return { fresh, ended, sessionId: row.session_id, userId: row.user_id }
  })
  const owner = { userId, clientId: claims.client_id }
  if (fresh) app.events.emit('logout', { ...options.source, ...owner, sessionId, everywhere: false }, now)
  if (ended) sessionsEnded(app, [sessionId], owner, reason, now)
  else revocations.sessionRevoked(sessionId, now) // ended already, perhaps by another instance
  if (!fresh) throw tokenNotValid('blacklisted')
  return { sessionId }
}

// Logout from every device: every session of the caller ends.
export async function logoutEverywhere(app: FastifyInstance, user: AuthenticatedUser, source: AuditSource): Promise<number> {
  const owner = ownerOf(user)
  const now = Date.now()
  const count = await endUserSessions(app, owner, { reason: 'logout_all', event: 'logout', source }, undefined, now)
  app.events.emit('logout', { ...source, ...owner, sessionId: user.sessionId, everywhere: true }, now)
  return count
}
