// The refresh tokens a store knows of (SimpleJWT's OutstandingToken and BlacklistedToken in
// one row): a refresh token signed by us but missing here is refused.
import { compiledQuery } from '../infra/store/compiled.js'
import type { Executor } from '../infra/store/database.js'
import { amongPicked } from '../infra/store/picked-rows.js'
import type { RefreshToken } from './tables.js'

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

// The next batch of expired refresh tokens, in the order of their index.
export const expiredRefreshTokensBatch = (db: Executor, now: number, batch: number) =>
  db.selectFrom('refresh_tokens').select('jti').where('expires_at', '<', now).orderBy('expires_at').limit(batch)

export async function deleteExpiredRefreshTokens(db: Executor, now: number, batch: number): Promise<number> {
  const result = await db.deleteFrom('refresh_tokens').where(amongPicked(db, 'jti', expiredRefreshTokensBatch(db, now, batch))).executeTakeFirst()
  return Number(result.numDeletedRows)
}
