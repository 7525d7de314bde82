// The queries staff run: sessions across users, scoped to a tenant, filtered, searched and
// paginated, by offset (the API's ?limit=&offset=, with a count) or by keyset (the console).
// Every filter is on sessions' own columns (client_id is the user's tenant), so the
// listing indexes in (client_id, client_type, last_activity, id) serve it in order.
import { sql, type ExpressionBuilder } from 'kysely'
import { keysetPage, readPlan, type Cursor, type KeysetPage } from '../infra/keyset.js'
import type { PageParams } from '../infra/pagination.js'
import { countedPage, countRows, type CountedPage } from '../infra/store/counted-page.js'
import type { Database, Executor } from '../infra/store/database.js'
import { CANDIDATE_CAP, candidateIds, containsAny, type SearchSpec } from '../infra/store/substring-search.js'
import type { Session } from '../sessions/tables.js'
import type { TenantScope } from '../users/tenancy.js'

export interface AdminSessionFilter {
  scope: TenantScope
  clientType?: string | undefined
  isActive?: boolean | undefined
  // Matches username, device name or IP address (case-insensitive substring).
  q?: string | undefined
  now: number
  idleTimeoutMs: number
}

export type AdminSessionRow = Session & { username: string }

const DEVICE_OR_IP: SearchSpec = { fts: 'session_search', table: 'sessions', columns: ['device_name', 'ip_address'] }
const USERNAME: SearchSpec = { fts: 'user_search', table: 'users', columns: ['username'] }

// The sessions a search term names, when it names few: through the trigram indexes, by
// device or IP and by their user's name. undefined: too many (or too short a term) to
// list; the rows are then tested as the listing reads them.
async function searchCandidates(db: Executor, q: string): Promise<number[] | undefined> {
  const direct = await candidateIds(db, DEVICE_OR_IP, q)
  if (direct === undefined || direct.length > CANDIDATE_CAP) return undefined
  const users = await candidateIds(db, USERNAME, q)
  if (users === undefined || users.length > CANDIDATE_CAP) return undefined
  const viaUsers =
    users.length === 0
      ? []
      : await db.selectFrom('sessions').select('id').where('user_id', 'in', users).limit(CANDIDATE_CAP + 1).execute()
  const ids = new Set([...direct, ...viaUsers.map((row) => Number(row.id))])
  return ids.size > CANDIDATE_CAP ? undefined : [...ids]
}

type SessionsBuilder = ExpressionBuilder<Database, 'sessions'>

function filtered(db: Executor, f: AdminSessionFilter, candidates: number[] | undefined) {
  let query = db.selectFrom('sessions')
  if (!f.scope.all) {
    const clientId = f.scope.clientId
    query = clientId === null ? query.where('sessions.client_id', 'is', null) : query.where('sessions.client_id', '=', clientId)
  }
  if (f.clientType !== undefined) query = query.where('sessions.client_type', '=', f.clientType)
  if (f.isActive !== undefined) {
    const idleCutoff = f.idleTimeoutMs > 0 ? f.now - f.idleTimeoutMs : undefined
    query = query.where((eb) => {
      const live = [eb('sessions.revoked_at', 'is', null), eb('sessions.expires_at', '>', f.now)]
      if (idleCutoff !== undefined) live.push(eb('sessions.last_activity', '>=', idleCutoff))
      return f.isActive ? eb.and(live) : eb.not(eb.and(live))
    })
  }
  const q = f.q
  if (q !== undefined && q !== '') {
    // The candidates narrow the rows; the predicate alone decides (both stores, one meaning).
    if (candidates !== undefined) query = query.where('sessions.id', 'in', candidates)
    query = query.where((eb: SessionsBuilder) =>
      eb.or([
        containsAny(['sessions.device_name', 'sessions.ip_address'], q),
        eb.exists(
          eb
            .selectFrom('users as u')
            .select(sql`1`.as('one'))
            .whereRef('u.id', '=', 'sessions.user_id')
            .where(containsAny(['u.username'], q)),
        ),
      ]),
    )
  }
  return query
}

// Resolves the search once for a listing; an empty candidate list means nothing matches.
async function prepare(db: Executor, f: AdminSessionFilter): Promise<number[] | undefined> {
  return f.q ? searchCandidates(db, f.q) : undefined
}

function withUser<T extends ReturnType<typeof filtered>>(query: T) {
  return query.innerJoin('users', 'users.id', 'sessions.user_id').selectAll('sessions').select('users.username')
}

export async function listSessionsForAdmin(db: Executor, f: AdminSessionFilter, page: PageParams): Promise<CountedPage<AdminSessionRow>> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return { count: 0, rows: [] }
  return countedPage(
    filtered(db, f, candidates),
    withUser,
    [
      ['sessions.last_activity', 'desc'],
      ['sessions.id', 'desc'],
    ],
    page,
  )
}

// How many sessions the filter matches (the console's dashboard).
export async function countSessionsForAdmin(db: Executor, f: AdminSessionFilter): Promise<number> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return 0
  return countRows(filtered(db, f, candidates))
}

// The console's listing: a page after (or before) a cursor, in last_activity order.
export async function sessionsAfter(db: Executor, f: AdminSessionFilter, cursor: Cursor, limit: number): Promise<KeysetPage<AdminSessionRow>> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return { rows: [], next: null, previous: null }
  const { op, order } = readPlan('desc', cursor)
  let query = filtered(db, f, candidates)
  const position = cursor.position
  if (position) {
    query = query.where((eb) => eb(eb.refTuple('sessions.last_activity', 'sessions.id'), op, eb.tuple(position[0] as number, position[1] as number)))
  }
  const read = await withUser(query)
    .orderBy('sessions.last_activity', order)
    .orderBy('sessions.id', order)
    .limit(limit + 1)
    .execute()
  return keysetPage(read, limit, cursor, (row) => [row.last_activity, row.id])
}

export async function findSessionForAdmin(db: Executor, scope: TenantScope, id: number): Promise<Session | undefined> {
  let query = db.selectFrom('sessions').selectAll('sessions').where('sessions.id', '=', id)
  if (!scope.all) {
    query = scope.clientId === null ? query.where('sessions.client_id', 'is', null) : query.where('sessions.client_id', '=', scope.clientId)
  }
  return query.executeTakeFirst()
}
