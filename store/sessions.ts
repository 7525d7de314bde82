import type { Executor, NewSession, Session } from './database.js'
import { recordRevocation } from './revocations.js'

export async function insertSession(db: Executor, session: NewSession): Promise<Session> {
  return db.insertInto('sessions').values(session).returningAll().executeTakeFirstOrThrow()
}

export async function findSession(db: Executor, id: number): Promise<Session | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function touchSession(db: Executor, id: number, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_activity: now }).where('id', '=', id).execute()
}

// Marks the session revoked and logs it for every instance; true when this call did it.
export async function revokeSession(db: Executor, id: number, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  const changed = result.numUpdatedRows > 0n
  if (changed) await recordRevocation(db, 'session', id, now)
  return changed
}

// Revokes every live session of a user (password change, deactivation); returns their ids.
export async function revokeUserSessions(db: Executor, userId: number, reason: string, now: number): Promise<number[]> {
  const rows = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute()
  for (const row of rows) await recordRevocation(db, 'session', row.id, now)
  return rows.map((r) => r.id)
}
