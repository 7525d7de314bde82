// The revocation log's rows: appended in the transaction that revokes, read by every
// instance's poll in commit order, pruned by flushexpiredtokens.
import { CompiledQuery, sql, type Selectable } from 'kysely'
import { compiledQuery } from '../infra/store/compiled.js'
import { isPostgres, type Executor } from '../infra/store/database.js'
import { amongPicked } from '../infra/store/picked-rows.js'
import type { RevocationKind, RevocationTable } from './tables.js'

export async function recordRevocation(db: Executor, kind: RevocationKind, subjectId: number, now: number): Promise<void> {
  await db.insertInto('revocations').values({ kind, subject_id: subjectId, created_at: now }).execute()
}

const COLUMNS = ['id', 'kind', 'subject_id', 'created_at'] as const

// The session revocations a starting instance needs (those since `since`), handed to `each`
// a page at a time, so a full window (a mass logout: a million rows) is never held at once,
// and never holds the event loop for more than a page.
// A page comes back as one row: its session ids as one text ("12,13,15,..."), the
// database's own string aggregation read here without a string or an object per entry, and
// the page's latest revocation time, which stands for each of its entries (a page covers
// moments, and a revocation kept a little longer is safe, where one forgotten early would
// not be). As rows, a million made four million values for the driver to build and the
// collector to sweep (1.6 s of a start on Postgres). Paged by id alone from the first row of
// the window (a later row older than the window, from another clock, comes along too and is
// pruned at once), the other kinds left out of the text rather than the query: with `kind`
// in the query, Postgres without fresh statistics on the table sorted all of it for every page.
// `expect` hears first how many rows the window can hold at most, of every kind: its id range
// (counting the rows instead took Postgres 210 ms of a start at a million).
export async function eachSessionRevocationSince(
  db: Executor,
  since: number,
  each: (sid: number, revokedAt: number) => void,
  pageSize = 20_000,
  expect: (rows: number) => void = () => {},
): Promise<void> {
  const first = await db
    .selectFrom('revocations')
    .select((eb) => eb.fn.min('id').as('id'))
    .where('created_at', '>=', since)
    .executeTakeFirst()
  if (first?.id == null) return
  const last = await db.selectFrom('revocations').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  expect(Number(last?.id ?? first.id) - Number(first.id) + 1)
  let after = Number(first.id) - 1
  const pageQuery = isPostgres(db) ? PG_SESSION_PAGE : SQLITE_SESSION_PAGE
  for (;;) {
    const { rows } = await db.executeQuery<SessionPage>(CompiledQuery.raw(pageQuery, [after, pageSize]))
    const page = rows[0]
    if (page === undefined || page.last === null) return
    if (page.sids !== null && page.latest !== null) {
      const revokedAt = Number(page.latest)
      readIntegers(page.sids, (sid) => each(sid, revokedAt))
    }
    if (Number(page.n) < pageSize) return
    after = Number(page.last)
    // Requests go first between pages: SQLite's pages are read synchronously, and a start
    // reads its window while it answers.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

interface SessionPage {
  n: number // rows in the page, of every kind
  last: number | null // its last id
  latest: number | null // its latest session revocation (ms)
  sids: string | null
}

// The ids are integers (cast on SQLite, where a row written by hand could hold anything), so
// the text holds digits, '-' and ',' only. In no particular order within the page: an
// ordered aggregate made SQLite sort every page, twice the time, and the order of a page's
// entries, which share one time, does not matter.
const PG_SESSION_PAGE = `select count(*) as n, max(id) as last,
  max(case when kind = 'session' then created_at end) as latest,
  string_agg(case when kind = 'session' then subject_id::text end, ',') as sids
from (select id, kind, subject_id, created_at from revocations where id > $1 order by id limit $2) as page`
const SQLITE_SESSION_PAGE = `select count(*) as n, max(id) as last,
  max(case when kind = 'session' then cast(created_at as integer) end) as latest,
  group_concat(case when kind = 'session' then cast(subject_id as integer) end, ',') as sids
from (select id, kind, subject_id, created_at from revocations where id > ? order by id limit ?) as page`

// "12,-3,45" read into each integer, with no string made per number.
export function readIntegers(text: string, each: (value: number) => void): void {
  let value = 0
  let sign = 1
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 44 : text.charCodeAt(i)
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48)
    else if (c === 44) {
      each(sign * value)
      value = 0
      sign = 1
    } else if (c === 45) sign = -1
    else throw new Error(`unexpected character ${c} in a page of session ids`)
  }
}

// Whether the store holds the session revoked: its row's mark, written in the transaction that
// logs the revocation (sessions-store.ts). A session no longer stored vouches for no token.
// What a starting instance asks until the log's window is in memory.
export async function sessionRevokedInStore(db: Executor, sid: number): Promise<boolean> {
  const row = await db.selectFrom('sessions').select('revoked_at').where('id', '=', sid).executeTakeFirst()
  return row === undefined || row.revoked_at !== null
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

export type RevocationRow = Selectable<RevocationTable>

// A poll: the rows `mark` did not cover, and the mark that covers them, in one statement
// whose text never changes, so nothing is built per poll (an idle instance polls twice a
// second, and two queries built and sent each time were much of what it spent). On Postgres
// the new mark is the snapshot of that same statement: what it read is exactly what that
// snapshot sees. It is not a prepared statement there: a generic plan cannot know that
// `xact >= $1` picks a few rows, and scans the whole log (52 ms a poll at a million rows),
// where each planning with the values uses the index.
export async function revocationsAfter(db: Executor, mark: RevocationMark): Promise<{ rows: RevocationRow[]; next: RevocationMark }> {
  if ('lastId' in mark) {
    const { rows } = await rowsAfterId(db, mark.lastId)
    return { rows, next: rows.length === 0 ? mark : { lastId: (rows[rows.length - 1] as RevocationRow).id } }
  }
  const { rows } = await db.executeQuery<{ snapshot: string; numbers: string | null; kinds: string | null }>(CompiledQuery.raw(PG_ROWS_AFTER_SNAPSHOT, [mark.xmax, mark.running]))
  const page = rows[0]
  if (page === undefined) throw new Error('the revocation poll returned no snapshot')
  return { rows: page.numbers === null || page.kinds === null ? [] : readEntries(page.numbers, page.kinds), next: parseSnapshot(page.snapshot) }
}

// Rows, not texts, on SQLite: better-sqlite3 hands them over more cheaply than SQLite builds
// the texts (2026-12-03, in-process over a log of a million: 102-105 µs for 250 new rows as
// rows, 224 µs as the two texts with readEntries; 0.6 µs against 3.1 µs with nothing new).
const rowsAfterId = compiledQuery((db: Executor, after: number) => db.selectFrom('revocations').select(COLUMNS).where('id', '>', after).orderBy('id'), 1)

// The new rows as two texts beside the snapshot, an aggregate's one row whatever matched: their
// numbers ("id,subject,created_at,..." read by readIntegers) and their kinds (a record
// separator between them), both in id order. As rows, each came with the snapshot again and
// five values for the driver to build: with the log taking 500 rows a second, a process doing
// nothing but this poll spent 0.82-1.17 % of a core against 0.60 % idle; as text, 0.65-0.83 %
// (2 x AMD EPYC). A kind holds no separator (taken out: no kind of Keyturn's has one, and an
// unknown kind is ignored; a comma goes too, as it always has).
const PG_ROWS_AFTER_SNAPSHOT = `select pg_current_snapshot()::text as snapshot,
  string_agg(r.id || ',' || r.subject_id || ',' || r.created_at, ',' order by r.id) as numbers,
  string_agg(translate(r.kind, chr(30) || ',', ''), chr(30) order by r.id) as kinds
from revocations as r where r.xact >= $1::xid8 or r.xact = any($2::xid8[])`

const RECORD = String.fromCharCode(30)

// The poll's two texts as rows, read in one pass (a quarter quicker than gathering the numbers
// first: 39-42 µs against 52-57 µs for 250 rows in-process).
export function readEntries(numbers: string, kinds: string): RevocationRow[] {
  const kindOf = kinds.split(RECORD)
  const rows: RevocationRow[] = []
  let field = 0
  let id = 0
  let subject = 0
  readIntegers(numbers, (value) => {
    if (field === 0) id = value
    else if (field === 1) subject = value
    else rows.push({ id, kind: kindOf[rows.length] as RevocationKind, subject_id: subject, created_at: value })
    field = field === 2 ? 0 : field + 1
  })
  return rows
}

// Removes up to `batch` entries older than `before` (a batch at a time, so a mass logout's
// million rows never hold the store's write lock at once); returns how many it removed.
export async function deleteRevocationsBefore(db: Executor, before: number, batch: number): Promise<number> {
  const victims = db.selectFrom('revocations').select('id').where('created_at', '<', before).orderBy('created_at').limit(batch)
  const result = await db.deleteFrom('revocations').where(amongPicked(db, 'id', victims)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
