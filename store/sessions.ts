import type { Executor, NewSession, Session } from './database.js'
import { compiledQuery } from './compiled.js'
import { recordRevocation } from './revocations.js'

export async function insertSession(db: Executor, session: NewSession): Promise<Session> {
  return db.insertInto('sessions').values(session).returningAll().executeTakeFirstOrThrow()
}

const sessionById = compiledQuery((db, id: number) => db.selectFrom('sessions').selectAll().where('id', '=', id), 1)
const touch = compiledQuery(
  (db, id: number, now: number) => db.updateTable('sessions').set({ last_activity: now }).where('id', '=', id),
  2,
)

export async function findSession(db: Executor, id: number): Promise<Session | undefined> {
  return (await sessionById(db, id)).rows[0]
}

export async function touchSession(db: Executor, id: number, now: number): Promise<void> {
  await touch(db, id, now)
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

// Revokes every live session of a user (logout everywhere, password change,
// deactivation), but `keep`; returns the ids it revoked.
export async function revokeUserSessions(
  db: Executor,
  userId: number,
  reason: string,
  now: number,
  keep?: number,
): Promise<number[]> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
  if (keep !== undefined) query = query.where('id', '!=', keep)
  const rows = await query.returning('id').execute()
  for (const row of rows) await recordRevocation(db, 'session', row.id, now)
  return rows.map((r) => r.id)
}

export async function listUserSessions(db: Executor, userId: number): Promise<Session[]> {
  return db.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
}

export async function findUserSession(db: Executor, userId: number, id: number): Promise<Session | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
}

// Sessions past their absolute end, with their refresh tokens (ON DELETE CASCADE), a batch
// at a time so a large backlog never holds a long lock.
export async function deleteExpiredSessions(db: Executor, now: number, batch: number): Promise<number> {
  const victims = db.selectFrom('sessions').select('id').where('expires_at', '<', now).limit(batch)
  const result = await db.deleteFrom('sessions').where('id', 'in', victims).executeTakeFirst()
  return Number(result.numDeletedRows)
}
