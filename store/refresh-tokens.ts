import { compiledQuery } from './compiled.js'
import type { Executor, RefreshToken } from './database.js'

const insert = compiledQuery(
  (db, jti: string, sessionId: number, userId: number, issuedAt: number, expiresAt: number) =>
    db
      .insertInto('refresh_tokens')
      .values({ jti, session_id: sessionId, user_id: userId, issued_at: issuedAt, expires_at: expiresAt }),
  5,
)
const byJti = compiledQuery((db, jti: string) => db.selectFrom('refresh_tokens').selectAll().where('jti', '=', jti), 1)

export async function insertRefreshToken(
  db: Executor,
  token: { jti: string; session_id: number; user_id: number; issued_at: number; expires_at: number },
): Promise<void> {
  await insert(db, token.jti, token.session_id, token.user_id, token.issued_at, token.expires_at)
}

export async function findRefreshToken(db: Executor, jti: string): Promise<RefreshToken | undefined> {
  return (await byJti(db, jti)).rows[0]
}

// The single conditional write that makes rotation atomic: of any number of concurrent
// callers, exactly one sees `true` (row locks on Postgres, one writer at a time on SQLite).
const claim = compiledQuery(
  (db, jti: string, successor: string, now: number) =>
    db
      .updateTable('refresh_tokens')
      .set({ rotated_at: now, replaced_by: successor, blacklisted_at: now })
      .where('jti', '=', jti)
      .where('rotated_at', 'is', null)
      .where('blacklisted_at', 'is', null),
  3,
)

// The single conditional write that makes rotation atomic: of any number of concurrent
// callers, exactly one sees `true` (row locks on Postgres, one writer at a time on SQLite).
// The rotated token is blacklisted with it (SimpleJWT's BLACKLIST_AFTER_ROTATION).
export async function claimForRotation(db: Executor, jti: string, successor: string, now: number): Promise<boolean> {
  const result = await claim(db, jti, successor, now)
  return (result.numAffectedRows ?? 0n) > 0n
}

// The one grace retry of a rotated token: true for the first caller only.
export async function claimGraceRetry(db: Executor, jti: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ grace_used_at: now })
    .where('jti', '=', jti)
    .where('grace_used_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

// True when this call blacklisted it; false when it already was (or was rotated away).
export async function blacklistRefreshToken(db: Executor, jti: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ blacklisted_at: now })
    .where('jti', '=', jti)
    .where('blacklisted_at', 'is', null)
    .where('rotated_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function deleteExpiredRefreshTokens(db: Executor, now: number, batch: number): Promise<number> {
  const victims = db.selectFrom('refresh_tokens').select('jti').where('expires_at', '<', now).limit(batch)
  const result = await db.deleteFrom('refresh_tokens').where('jti', 'in', victims).executeTakeFirst()
  return Number(result.numDeletedRows)
}
