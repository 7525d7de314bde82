// The users staff may see: their client's (a superuser, every client's), by id, searched by
// username or email, paginated by offset (the API, with a count) or by keyset (the console).
import { keysetPage, readPlan, type Cursor, type KeysetPage } from '../infra/keyset.js'
import type { PageParams } from '../infra/pagination.js'
import { countedPage, countRows, type CountedPage } from '../infra/store/counted-page.js'
import type { Executor } from '../infra/store/database.js'
import { CANDIDATE_CAP, candidateIds, containsAny, type SearchSpec } from '../infra/store/substring-search.js'
import type { TenantScope } from './tenancy.js'
import type { UserWithClient } from './users-store.js'

export interface UserFilter {
  scope: TenantScope
  // Case-insensitive substring of the username or the email.
  q?: string | undefined
}

const NAME_OR_EMAIL: SearchSpec = { fts: 'user_search', table: 'users', columns: ['username', 'email'] }

// The users a search names when it names few (an empty list: nothing matches); undefined: no
// search, or one the listing tests row by row.
async function prepare(db: Executor, f: UserFilter): Promise<number[] | undefined> {
  const found = f.q ? await candidateIds(db, NAME_OR_EMAIL, f.q) : undefined
  return found !== undefined && found.length <= CANDIDATE_CAP ? found : undefined
}

function filtered(db: Executor, f: UserFilter, candidates: number[] | undefined) {
  let query = db.selectFrom('users')
  if (!f.scope.all) {
    query = f.scope.clientId === null ? query.where('users.client_id', 'is', null) : query.where('users.client_id', '=', f.scope.clientId)
  }
  if (f.q) {
    if (candidates !== undefined) query = query.where('users.id', 'in', candidates)
    query = query.where(containsAny(['users.username', 'users.email'], f.q))
  }
  return query
}

function withClient<T extends ReturnType<typeof filtered>>(query: T) {
  return query.leftJoin('clients', 'clients.id', 'users.client_id').selectAll('users').select('clients.name as client_name')
}

export async function listUsers(db: Executor, f: UserFilter, page: PageParams): Promise<CountedPage<UserWithClient>> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return { count: 0, rows: [] }
  return countedPage(filtered(db, f, candidates), withClient, [['users.id', 'asc']], page)
}

export async function countUsers(db: Executor, f: UserFilter): Promise<number> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return 0
  return countRows(filtered(db, f, candidates))
}

export async function usersAfter(db: Executor, f: UserFilter, cursor: Cursor, limit: number): Promise<KeysetPage<UserWithClient>> {
  const candidates = await prepare(db, f)
  if (candidates?.length === 0) return { rows: [], next: null, previous: null }
  const { op, order } = readPlan('asc', cursor)
  let query = filtered(db, f, candidates)
  const after = cursor.position?.[0]
  if (after !== undefined) query = query.where('users.id', op, after)
  const read = await withClient(query).orderBy('users.id', order).limit(limit + 1).execute()
  return keysetPage(read, limit, cursor, (row) => [row.id])
}

// One user the scope may see; undefined otherwise, exactly as for a missing one.
export async function findUserForStaff(db: Executor, scope: TenantScope, id: number): Promise<UserWithClient | undefined> {
  return withClient(filtered(db, { scope }, undefined).where('users.id', '=', id)).executeTakeFirst()
}
