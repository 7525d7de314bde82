// Refresh with rotation. The old token is claimed by one conditional UPDATE inside the
// transaction that records its successor, so of N concurrent refreshes exactly one wins.
// A token that was already rotated is a reuse (RFC 9700 4.14.2): the whole session ends,
// unless the optional grace window lets a client whose answer was lost retry once.
import type { FastifyInstance } from 'fastify'
import type { TokenClaims } from '../plugins/tokens.js'
import type { RefreshToken, Transaction } from '../store/database.js'
import { findRefreshContext, type RefreshSession } from '../store/refresh-context.js'
import { claimForRotation, claimGraceRetry, findRefreshToken, insertRefreshToken } from '../store/refresh-tokens.js'
import { revokeSession, touchSession } from '../store/sessions.js'
import { isAccountExpired } from '../store/users.js'
import { recordAudit, type AuditSource } from './audit.js'
import { decodeForTokenEndpoint } from './decode.js'
import { errors, tokenNotValid } from './errors.js'
import { isSessionActive, sessionPolicy } from './session-policy.js'

export interface RefreshResult {
  access: string
  refresh?: string
}

type Outcome = { kind: 'ok'; result: RefreshResult } | { kind: 'reuse'; sessionId: number }

export async function refreshTokens(app: FastifyInstance, raw: string, source: AuditSource, now = Date.now()): Promise<RefreshResult> {
  const { db, tokens, config, revocations } = app
  const claims = decodeForTokenEndpoint(tokens, raw, 'refresh')
  if (revocations.state.isSessionRevoked(claims.sid)) throw tokenNotValid('blacklisted')
  const policy = sessionPolicy(config)
  const blacklistAfterRotation = config.KEYTURN_ROTATE_REFRESH_TOKENS && config.KEYTURN_BLACKLIST_AFTER_ROTATION

  const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
    const context = await findRefreshContext(trx, claims.jti, claims.sid, claims.user_id)
    if (!context) throw errors.noActiveAccountForToken()
    const { user, token: row, session } = context
    if (user.is_active !== 1 || isAccountExpired(user, now)) throw errors.noActiveAccountForToken()
    // Signed by us but unknown to the store: flushed, or from a store that was reset.
    if (!row || row.user_id !== user.id || row.session_id !== claims.sid) throw tokenNotValid('invalid')
    if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')
    const subject = { userId: user.id, clientId: user.client_id, sessionId: session.id }
    const audit = (event: 'refresh' | 'refresh_reuse', detail?: string) =>
      recordAudit(trx, source, { event, outcome: event === 'refresh' ? 'success' : 'failure', userId: user.id, clientId: user.client_id, sessionId: session.id, detail }, now)

    if (row.rotated_at !== null && blacklistAfterRotation) {
      const retry = await graceRetry(app, trx, row, claims, now)
      if (retry) {
        await audit('refresh', 'grace_retry')
        return { kind: 'ok', result: { access: tokens.issue('access', subject, now, session.expires_at).token, refresh: retry } }
      }
      await revokeSession(trx, session.id, 'refresh_token_reuse', now)
      await audit('refresh_reuse')
      return { kind: 'reuse', sessionId: session.id }
    }
    if (row.blacklisted_at !== null) throw tokenNotValid('blacklisted')
    if (!isSessionActive(session, policy, now)) throw tokenNotValid('invalid')

    const access = tokens.issue('access', subject, now, session.expires_at)
    if (!config.KEYTURN_ROTATE_REFRESH_TOKENS) {
      await touchSession(trx, session.id, now)
      await audit('refresh')
      return { kind: 'ok', result: { access: access.token } }
    }
    const successor = tokens.issue('refresh', subject, now, session.expires_at)
    if (blacklistAfterRotation && !(await claimForRotation(trx, claims.jti, successor.jti, now))) {
      // Lost the race to a concurrent refresh of the same token: that is a reuse too.
      await revokeSession(trx, session.id, 'refresh_token_reuse', now)
      await audit('refresh_reuse', 'concurrent')
      return { kind: 'reuse', sessionId: session.id }
    }
    await recordSuccessor(trx, session, successor.jti, now, successor.expiresAt)
    await audit('refresh')
    return { kind: 'ok', result: { access: access.token, refresh: successor.token } }
  })

  if (outcome.kind === 'reuse') {
    revocations.sessionRevoked(outcome.sessionId, now)
    app.log.warn(
      { event: 'refresh_token_reuse', sessionId: outcome.sessionId, userId: claims.user_id, jtiPrefix: claims.jti.slice(0, 8) },
      'rotated refresh token presented again: session revoked',
    )
    throw tokenNotValid('blacklisted')
  }
  return outcome.result
}

async function recordSuccessor(trx: Transaction, session: RefreshSession, jti: string, now: number, expiresAt: number) {
  await insertRefreshToken(trx, { jti, session_id: session.id, user_id: session.user_id, issued_at: now, expires_at: expiresAt })
  await touchSession(trx, session.id, now)
}

// Within KEYTURN_ROTATION_GRACE_SECONDS of its rotation, a token may be presented once more
// and gets the same successor, if that successor has not been used yet. Returns the
// successor token, or undefined when this is a genuine reuse.
async function graceRetry(
  app: FastifyInstance,
  trx: Transaction,
  row: RefreshToken,
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
