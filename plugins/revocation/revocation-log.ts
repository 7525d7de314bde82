// The revocation log's rows: appended in the transaction that revokes, read by every
// instance's poll in commit order, pruned by flushexpiredtokens.
import { sql } from 'kysely'
import { isPostgres, type Executor } from '../infra/store/database.js'
import type { RevocationKind } from './tables.js'

export async function recordRevocation(db: Executor, kind: RevocationKind, subjectId: number, now: number): Promise<void> {
  await db.insertInto('revocations').values({ kind, subject_id: subjectId, created_at: now }).execute()
}

const COLUMNS = ['id', 'kind', 'subject_id', 'created_at'] as const

export async function revocationsSince(db: Executor, since: number) {
  return db.selectFrom('revocations').select(COLUMNS).where('created_at', '>=', since).orderBy('id').execute()
}

// A place in the log's commit order, to be read before the rows it guards: every row not yet
// committed when it is read lies after it, whatever its created_at. On Postgres it is the
// oldest transaction still running (its rows and any later one's carry an xact at or past
// it); on SQLite the last id, since writers take turns and ids only grow (AUTOINCREMENT).
export async function revocationMark(db: Executor): Promise<string> {
  if (isPostgres(db)) {
    const { rows } = await sql<{ mark: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as mark`.execute(db)
    return rows[0]?.mark ?? '0'
  }
  const row = await db.selectFrom('revocations').select((eb) => eb.fn.max('id').as('mark')).executeTakeFirst()
  return String(row?.mark ?? 0)
}

// The rows that may have been committed since `mark` was read (some again: harmless).
export async function revocationsAfter(db: Executor, mark: string) {
  const query = db.selectFrom('revocations').select(COLUMNS).orderBy('id')
  if (isPostgres(db)) return query.where(sql<string>`xact`, '>=', sql<string>`${mark}::xid8`).execute()
  return query.where('id', '>', Number(mark)).execute()
}

export async function deleteRevocationsBefore(db: Executor, before: number): Promise<number> {
  const result = await db.deleteFrom('revocations').where('created_at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
