// The revocation log's rows: appended in the transaction that revokes, read by every
// instance's poll in commit order, pruned by flushexpiredtokens.
import { sql } from 'kysely'
import { isPostgres, type Executor } from '../infra/store/database.js'
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

// A place in the log's commit order, read before the rows it guards: every row it does not
// cover is read by the next poll, whatever its created_at. On SQLite the last id, since
// writers take turns and ids only grow (AUTOINCREMENT). On Postgres the snapshot: the rows
// it could not see are those of transactions not yet started (xact >= xmax) or still running
// (xact among xip). Only those are read next, so a transaction left open for an hour costs
// one index probe a poll, not a re-read of everything written since it began.
export type RevocationMark = { lastId: number } | { xmax: string; running: string[] }

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

// The rows the mark did not cover (some again, when read before: harmless).
export async function revocationsAfter(db: Executor, mark: RevocationMark) {
  const query = db.selectFrom('revocations').select(COLUMNS).orderBy('id')
  if ('lastId' in mark) return query.where('id', '>', mark.lastId).execute()
  const { xmax, running } = mark
  return query
    .where((eb) =>
      running.length === 0
        ? eb(sql<string>`xact`, '>=', sql<string>`${xmax}::xid8`)
        : eb.or([eb(sql<string>`xact`, '>=', sql<string>`${xmax}::xid8`), eb(sql<string>`xact`, '=', sql<string>`any(${running}::xid8[])`)]),
    )
    .execute()
}

// Removes up to `batch` entries older than `before` (a batch at a time, so a mass logout's
// million rows never hold the store's write lock at once); returns how many it removed.
export async function deleteRevocationsBefore(db: Executor, before: number, batch: number): Promise<number> {
  const victims = db.selectFrom('revocations').select('id').where('created_at', '<', before).limit(batch)
  const result = await db.deleteFrom('revocations').where('id', 'in', victims).executeTakeFirst()
  return Number(result.numDeletedRows)
}
