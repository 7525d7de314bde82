// Frozen in time. Webhooks: endpoints that receive session events, and the outbox they are
// delivered from. An event and one delivery row per subscribed endpoint are written in the
// transaction of the change they tell of (a rolled-back change leaves none, a crash loses
// none); every attempt is kept for the delivery log. And an index for telling a login from a
// new device (an address this user never signed in from).
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const ms = pg ? 'bigint' : 'integer'
  const ref = pg ? 'bigint' : 'integer'
  const id = (c: any) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement())
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', pg ? 'bigserial' : 'integer', id)
    // The tenant whose events it receives; null: every client's (superusers only).
    .addColumn('client_id', ref, (c) => c.references('clients.id').onDelete('cascade'))
    .addColumn('url', 'varchar(2048)', (c) => c.notNull())
    // Space-separated event types.
    .addColumn('events', 'varchar(1000)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    // Why it was switched off by Keyturn (failing for too long), or null.
    .addColumn('disabled_reason', 'varchar(255)')
    .addColumn('secret', 'varchar(128)', (c) => c.notNull())
    .addColumn('previous_secret', 'varchar(128)')
    .addColumn('previous_secret_expires_at', ms)
    // When its current run of failed attempts began; null while it answers.
    .addColumn('failing_since', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('webhook_endpoints_client_id').on('webhook_endpoints').column('client_id').execute()

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('client_id', ref)
    // The JSON body sent, as it will be signed.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('webhook_events_created_at').on('webhook_events').column('created_at').execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', pg ? 'bigserial' : 'integer', id)
    .addColumn('event_id', 'varchar(40)', (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
    .addColumn('endpoint_id', ref, (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    // pending, delivered, failed (given up)
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', ms, (c) => c.notNull())
    // Claimed by an instance until then (a crashed instance's claim runs out).
    .addColumn('locked_until', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .execute()
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute()
  await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute()
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute()

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', pg ? 'bigserial' : 'integer', id)
    .addColumn('delivery_id', ref, (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('endpoint_id', ref, (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('attempted_at', ms, (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'varchar(255)')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    // When the next try is due; null once delivered or given up.
    .addColumn('next_retry_at', ms)
    .execute()
  await db.schema.createIndex('webhook_attempts_endpoint').on('webhook_attempts').columns(['endpoint_id', 'id']).execute()
  await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').column('delivery_id').execute()
  // It leads with user_id, so it serves every lookup the user_id index served: that one goes.
  await db.schema.createIndex('sessions_user_address').on('sessions').columns(['user_id', 'ip_address']).execute()
  await db.schema.dropIndex('sessions_user_id').execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()
  await db.schema.dropIndex('sessions_user_address').execute()
  await db.schema.dropTable('webhook_attempts').execute()
  await db.schema.dropTable('webhook_deliveries').execute()
  await db.schema.dropTable('webhook_events').execute()
  await db.schema.dropTable('webhook_endpoints').execute()
}
