// Frozen in time. The audit trail: one row per auth event (login, refresh, reuse, logout,
// revocation, password change, rate limit). Never a secret: no password, hash or token.
// client_id is the tenant at the time of the event, so staff see their own client's rows
// even for events with no user (an unknown login name has none).
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const ref = pg ? 'bigint' : 'integer'
  await db.schema
    .createTable('audit_events')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('created_at', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('event', 'varchar(32)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    // No foreign keys: the trail outlives the users and sessions it mentions.
    .addColumn('user_id', ref)
    .addColumn('client_id', ref)
    .addColumn('session_id', ref)
    .addColumn('actor_id', ref)
    .addColumn('ip_address', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('detail', 'varchar(255)')
    .execute()
  await db.schema.createIndex('audit_events_created_at').on('audit_events').column('created_at').execute()
  await db.schema.createIndex('audit_events_client_created').on('audit_events').columns(['client_id', 'created_at']).execute()
  await db.schema.createIndex('audit_events_user_id').on('audit_events').column('user_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
}
