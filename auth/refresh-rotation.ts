// Refresh with rotation. The old token is claimed by one conditional UPDATE inside the
// transaction that records its successor, so of N concurrent refreshes exactly one wins.
// A token that was already rotated is a reuse (RFC 9700 4.14.2): the whole session ends.
import type { FastifyInstance } from 'fastify'
import { claimForRotation, findRefreshToken, insertRefreshToken } from '../store/refresh-tokens.js'
import { findSession, revokeSession, touchSession } from '../store/sessions.js'
import { findUserById, isAccountExpired } from '../store/users.js'
import { errors, tokenNotValid, TokenError } from './errors.js'

export interface RefreshResult {
  access: string
  refresh?: string
}

type Outcome =
  | { kind: 'ok'; result: RefreshResult }
  | { kind: 'reuse'; sessionId: number }

export async function refreshTokens(app: FastifyInstance, raw: string, now = Date.now()): Promise<RefreshResult> {
  const { db, tokens, config, revocations } = app
  let claims
  try {
    claims = tokens.decode(raw, 'refresh')
  } catch (err) {
    if (err instanceof TokenError) throw tokenNotValid(err.problem)
    throw err
  }
  if (revocations.state.isSessionRevoked(claims.sid)) throw tokenNotValid('blacklisted')
  const rotate = config.KEYTURN_ROTATE_REFRESH_TOKENS
  const jti = claims.jti

  const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
    const row = await findRefreshToken(trx, jti)
    const user = await findUserById(trx, claims.user_id)
    if (!user || user.is_active !== 1 || isAccountExpired(user, now)) throw errors.noActiveAccountForToken()
    // Signed by us but unknown to the store: flushed, or from a store that was reset.
    if (!row || row.user_id !== user.id || row.session_id !== claims.sid) throw tokenNotValid('invalid')
    const session = await findSession(trx, row.session_id)
    if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')
    if (row.rotated_at !== null && config.KEYTURN_BLACKLIST_AFTER_ROTATION) {
      await revokeSession(trx, session.id, 'refresh_token_reuse', now)
      return { kind: 'reuse', sessionId: session.id }
    }
    if (row.blacklisted_at !== null) throw tokenNotValid('blacklisted')
    if (session.expires_at <= now) throw tokenNotValid('invalid')

    const subject = { userId: user.id, clientId: user.client_id, sessionId: session.id }
    const access = tokens.issue('access', subject, now)
    if (!rotate) {
      await touchSession(trx, session.id, now)
      return { kind: 'ok', result: { access: access.token } }
    }

    const successor = tokens.issue('refresh', subject, now)
    if (config.KEYTURN_BLACKLIST_AFTER_ROTATION) {
      const claimed = await claimForRotation(trx, jti, successor.jti, true, now)
      if (!claimed) {
        await revokeSession(trx, session.id, 'refresh_token_reuse', now)
        return { kind: 'reuse', sessionId: session.id }
      }
    }
    await insertRefreshToken(trx, {
      jti: successor.jti,
      session_id: session.id,
      user_id: user.id,
      issued_at: now,
      expires_at: successor.expiresAt,
    })
    await trx
      .updateTable('sessions')
      .set({ last_activity: now, expires_at: Math.max(session.expires_at, successor.expiresAt) })
      .where('id', '=', session.id)
      .execute()
    return { kind: 'ok', result: { access: access.token, refresh: successor.token } }
  })

  if (outcome.kind === 'reuse') {
    revocations.sessionRevoked(outcome.sessionId, now)
    app.log.warn(
      { event: 'refresh_token_reuse', sessionId: outcome.sessionId, userId: claims.user_id, jtiPrefix: jti.slice(0, 8) },
      'rotated refresh token presented again: session revoked',
    )
    throw tokenNotValid('blacklisted')
  }
  return outcome.result
}
