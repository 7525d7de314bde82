// The service_accounts table's queries, scoped to a tenant where staff ask.
import type { Executor } from '../infra/store/database.js'
import { countedPage, type CountedPage } from '../infra/store/counted-page.js'
import type { PageParams } from '../infra/pagination.js'
import { withinScope, type TenantScope } from '../users/tenancy.js'
import type { ServiceAccount, ServiceAccountTable } from './tables.js'

export async function insertServiceAccount(db: Executor, row: Omit<ServiceAccount, 'id'>): Promise<ServiceAccount> {
  return db.insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findByOauthClientId(db: Executor, oauthClientId: string): Promise<ServiceAccount | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('oauth_client_id', '=', oauthClientId).executeTakeFirst()
}

export async function findServiceAccount(db: Executor, scope: TenantScope, id: number): Promise<ServiceAccount | undefined> {
  return withinScope(db.selectFrom('service_accounts'), scope).selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listServiceAccounts(db: Executor, scope: TenantScope, page: PageParams): Promise<CountedPage<ServiceAccount>> {
  return countedPage(withinScope(db.selectFrom('service_accounts'), scope), (q) => q.selectAll(), [['id', 'asc']], page)
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
