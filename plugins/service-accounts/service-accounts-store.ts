// The service_accounts table's queries, scoped to a tenant where staff ask.
import type { SelectQueryBuilder } from 'kysely'
import type { Database, Executor } from '../infra/store/database.js'
import { countedPage, type CountedPage } from '../infra/store/counted-page.js'
import type { PageParams } from '../infra/pagination.js'
import type { TenantScope } from '../users/tenancy.js'
import type { ServiceAccount, ServiceAccountTable } from './tables.js'

type Query = SelectQueryBuilder<Database, 'service_accounts', object>

function scoped(query: Query, scope: TenantScope): Query {
  if (scope.all) return query
  return scope.clientId === null ? query.where('client_id', 'is', null) : query.where('client_id', '=', scope.clientId)
}

export async function insertServiceAccount(db: Executor, row: Omit<ServiceAccount, 'id'>): Promise<ServiceAccount> {
  return db.insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findByOauthClientId(db: Executor, oauthClientId: string): Promise<ServiceAccount | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('oauth_client_id', '=', oauthClientId).executeTakeFirst()
}

export async function findServiceAccount(db: Executor, scope: TenantScope, id: number): Promise<ServiceAccount | undefined> {
  return scoped(db.selectFrom('service_accounts'), scope).selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listServiceAccounts(db: Executor, scope: TenantScope, page: PageParams): Promise<CountedPage<ServiceAccount>> {
  return countedPage(scoped(db.selectFrom('service_accounts'), scope), (q) => q.selectAll(), [['id', 'asc']], page)
}

export async function updateServiceAccount(
  db: Executor,
  id: number,
  changes: Partial<Pick<ServiceAccountTable, 'name' | 'scopes' | 'is_active' | 'secret_hash' | 'previous_secret_hash' | 'previous_secret_expires_at'>>,
  now: number,
): Promise<ServiceAccount> {
  return db
    .updateTable('service_accounts')
    .set({ ...changes, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteServiceAccount(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('service_accounts').where('id', '=', id).execute()
}
