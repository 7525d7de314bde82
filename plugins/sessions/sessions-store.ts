// The sessions table: opened at login, touched by refresh, revoked by every way a session ends.
import { compiledQuery } from '../infra/store/compiled.js'
import type { Executor } from '../infra/store/database.js'
import { amongPicked } from '../infra/store/picked-rows.js'
import { recordRevocation } from '../revocation/revocation-log.js'
import type { NewSession, Session } from './tables.js'

// One per login: compiled once. It returns the id alone: Postgres refuses a prepared
// statement whose result columns changed type since it was prepared (pg-prepared.ts), and
// an id's type never changes.
type NewSessionRow = Required<Omit<NewSession, 'id'>>
const insert = compiledQuery(
  (
    db,
    ...v: [
      user_id: number,
      client_id: number | null,
      client_type: string | null,
      device_name: string | null,
      telegram_user_id: number | null,
      telegram_username: string | null,
      ip_address: string | null,
      user_agent: string | null,
      created_at: number,
      last_activity: number,
      expires_at: number,
      revoked_at: number | null,
      revoked_reason: string | null,
    ]
  ) =>
    db
      .insertInto('sessions')
      .values({
        user_id: v[0],
        client_id: v[1],
        client_type: v[2],
        device_name: v[3],
        telegram_user_id: v[4],
        telegram_username: v[5],
        ip_address: v[6],
        user_agent: v[7],
        created_at: v[8],
        last_activity: v[9],
        expires_at: v[10],
        revoked_at: v[11],
        revoked_reason: v[12],
      })
      .returning('id'),
  13,
)

export async function insertSession(db: Executor, s: NewSessionRow): Promise<{ id: number }> {
  const { rows } = await insert(
    db,
    s.user_id,
    s.client_id,
    s.client_type,
    s.device_name,
    s.telegram_user_id,
    s.telegram_username,
    s.ip_address,
    s.user_agent,
    s.created_at,
    s.last_activity,
    s.expires_at,
    s.revoked_at,
    s.revoked_reason,
  )
  const row = rows[0]
  if (!row) throw new Error('the session insert returned no row')
  return row
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

// The next batch of sessions past their absolute end, in the order of their index.
export const expiredSessionsBatch = (db: Executor, now: number, batch: number) =>
  db.selectFrom('sessions').select('id').where('expires_at', '<', now).orderBy('expires_at').limit(batch)

// Sessions past their absolute end, with their refresh tokens (ON DELETE CASCADE), a batch
// at a time so a large backlog never holds a long lock.
export async function deleteExpiredSessions(db: Executor, now: number, batch: number): Promise<number> {
  const result = await db.deleteFrom('sessions').where(amongPicked(db, 'id', expiredSessionsBatch(db, now, batch))).executeTakeFirst()
  return Number(result.numDeletedRows)
}
