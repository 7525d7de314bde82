// The revocation log's rows: appended in the transaction that revokes, read by every
// instance's poll in commit order, pruned by flushexpiredtokens.
import { CompiledQuery, sql } from 'kysely'
import { compiledQuery } from '../infra/store/compiled.js'
import { isPostgres, type Executor } from '../infra/store/database.js'
import { prepareOnPostgres } from '../infra/store/pg-prepared.js'
import type { RevocationKind } from './tables.js'

export async function recordRevocation(db: Executor, kind: RevocationKind, subjectId: number, now: number): Promise<void> {
  await db.insertInto('revocations').values({ kind, subject_id: subjectId, created_at: now }).execute()
}

const COLUMNS = ['id', 'kind', 'subject_id', 'created_at'] as const

// The session revocations a starting instance needs (those since `since`), a page at a time,
// so a full window (a mass logout: a million rows) is never held as rows all at once; small
// pages, whose rows die young, left the collector a third of the work of large ones. Paged
// by id alone from the first row of the window (a later row older than the window, from
// another clock, comes along too and is pruned at once), the other kinds skipped here: with
// `kind` in the query, Postgres without fresh statistics on the table sorted all of it for
// every page.
export async function* sessionRevocationsSince(db: Executor, since: number, pageSize = 2_000) {
  const first = await db
    .selectFrom('revocations')
    .select((eb) => eb.fn.min('id').as('id'))
    .where('created_at', '>=', since)
    .executeTakeFirst()
  if (first?.id == null) return
  let after = Number(first.id) - 1
  for (;;) {
    const rows = await db.selectFrom('revocations').select(COLUMNS).where('id', '>', after).orderBy('id').limit(pageSize).execute()
    yield rows.filter((row) => row.kind === 'session')
    if (rows.length < pageSize) return
    after = (rows[rows.length - 1] as { id: number }).id
  }
}

// A place in the log's commit order: every row it does not cover is read by the next poll,
// whatever its created_at. On SQLite the last id, since writers take turns and ids only grow
// (AUTOINCREMENT): a row committed after a read has a larger id than every row that read
// saw. On Postgres a snapshot: the rows it could not see are those of transactions not yet
// started (xact >= xmax) or still running (xact among xip). Only those are read next, so a
// transaction left open for an hour costs one index probe a poll, not a re-read of everything
// written since it began.
export type RevocationMark = { lastId: number } | { xmax: string; running: string[] }

// Where the log stands now, with nothing read (an instance starting).
export async function revocationMark(db: Executor): Promise<RevocationMark> {
  if (isPostgres(db)) {
    const { rows } = await sql<{ snapshot: string }>`select pg_current_snapshot()::text as snapshot`.execute(db)
    return parseSnapshot(rows[0]?.snapshot ?? '0:0:')
  }
  const row = await db.selectFrom('revocations').select((eb) => eb.fn.max('id').as('mark')).executeTakeFirst()
  return { lastId: Number(row?.mark ?? 0) }
}

// pg_snapshot's text form: "xmin:xmax:xip,xip,...".
export function parseSnapshot(text: string): RevocationMark {
  const [, xmax = '0', xip = ''] = text.split(':')
  return { xmax, running: xip === '' ? [] : xip.split(',') }
}

export interface RevocationRow {
  id: number
  kind: RevocationKind
  subject_id: number
  created_at: number
}

// A poll: the rows `mark` did not cover, and the mark that covers them, in one statement
// whose text never changes (so Postgres keeps it prepared, and nothing is built per poll: an
// idle instance polls twice a second, and two queries built each time were most of its CPU).
// On Postgres the new mark is the snapshot of that same statement: what it read is exactly
// what that snapshot sees.
export async function revocationsAfter(db: Executor, mark: RevocationMark): Promise<{ rows: RevocationRow[]; next: RevocationMark }> {
  if ('lastId' in mark) {
    const { rows } = await rowsAfterId(db, mark.lastId)
    return { rows, next: rows.length === 0 ? mark : { lastId: (rows[rows.length - 1] as RevocationRow).id } }
  }
  prepareOnPostgres(PG_ROWS_AFTER_SNAPSHOT)
  const { rows } = await db.executeQuery<RevocationRow & { snapshot: string }>(CompiledQuery.raw(PG_ROWS_AFTER_SNAPSHOT, [mark.xmax, mark.running]))
  const first = rows[0]
  if (first === undefined) throw new Error('the revocation poll returned no snapshot')
  // With nothing new, the one row is the snapshot's alone (the left join found no entry).
  return { rows: first.id === null ? [] : rows, next: parseSnapshot(first.snapshot) }
}

const rowsAfterId = compiledQuery((db: Executor, after: number) => db.selectFrom('revocations').select(COLUMNS).where('id', '>', after).orderBy('id'), 1)

const PG_ROWS_AFTER_SNAPSHOT = `select pg_current_snapshot()::text as snapshot, r.id, r.kind, r.subject_id, r.created_at
from (select 1) as one left join revocations as r on r.xact >= $1::xid8 or r.xact = any($2::xid8[])
order by r.id`

// Removes up to `batch` entries older than `before` (a batch at a time, so a mass logout's
// million rows never hold the store's write lock at once); returns how many it removed.
export async function deleteRevocationsBefore(db: Executor, before: number, batch: number): Promise<number> {
  const victims = db.selectFrom('revocations').select('id').where('created_at', '<', before).limit(batch)
  const result = await db.deleteFrom('revocations').where('id', 'in', victims).executeTakeFirst()
  return Number(result.numDeletedRows)
}
