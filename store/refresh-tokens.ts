import type { Executor, RefreshToken } from './database.js'

export async function insertRefreshToken(
  db: Executor,
  token: { jti: string; session_id: number; user_id: number; issued_at: number; expires_at: number },
): Promise<void> {
  await db.insertInto('refresh_tokens').values(token).execute()
}

export async function findRefreshToken(db: Executor, jti: string): Promise<RefreshToken | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('jti', '=', jti).executeTakeFirst()
}

// The single conditional write that makes rotation atomic: of any number of concurrent
// callers, exactly one sees `true` (row locks on Postgres, one writer at a time on SQLite).
export async function claimForRotation(
  db: Executor,
  jti: string,
  successor: string,
  blacklist: boolean,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ rotated_at: now, replaced_by: successor, ...(blacklist ? { blacklisted_at: now } : {}) })
    .where('jti', '=', jti)
    .where('rotated_at', 'is', null)
    .where('blacklisted_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
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
