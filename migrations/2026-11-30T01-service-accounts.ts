// Frozen in time. Service accounts: machine clients that get tokens of their own (OAuth 2.0
// client credentials) and may introspect and revoke tokens. One tenant client's, or none
// (a global service). Only a hash of the secret is kept; a rotated secret keeps working
// until previous_secret_expires_at.
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const ms = pg ? 'bigint' : 'integer'
  await db.schema
    .createTable('service_accounts')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    // OAuth's client_id: svc_ and random letters. (client_id below is the tenant, as everywhere.)
    .addColumn('oauth_client_id', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(150)', (c) => c.notNull())
    .addColumn('client_id', pg ? 'bigint' : 'integer', (c) => c.references('clients.id').onDelete('cascade'))
    // Space-separated, as OAuth writes scopes.
    .addColumn('scopes', 'varchar(1000)', (c) => c.notNull().defaultTo(''))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('previous_secret_hash', 'varchar(64)')
    .addColumn('previous_secret_expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('service_accounts_client_id').on('service_accounts').column('client_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('service_accounts').execute()
}
