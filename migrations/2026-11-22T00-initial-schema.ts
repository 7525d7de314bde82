// Frozen in time: this file never imports app code, and the same file serves SQLite and
// Postgres. Times are epoch milliseconds and flags are 0/1 integers on both stores, so rows
// read the same whatever the dialect.
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

export async function up(db: AnyDb): Promise<void> {
  const pg = isPostgres(db)
  const idType = pg ? 'bigserial' : 'integer'
  const ms = pg ? 'bigint' : 'integer'

  await db.schema
    .createTable('clients')
    .addColumn('id', idType, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('users')
    .addColumn('id', idType, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('username', 'varchar(150)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('first_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
    .addColumn('last_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
    .addColumn('client_id', pg ? 'bigint' : 'integer', (c) => c.references('clients.id').onDelete('set null'))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('is_staff', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_manager', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('date_joined', ms, (c) => c.notNull())
    .addColumn('last_login', ms)
    .addColumn('expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute()
  // Emails are stored lower-cased, so a plain unique index gives case-insensitive login.
  await db.schema.createIndex('users_email_unique').on('users').column('email').unique().execute()
  await db.schema.createIndex('users_client_id').on('users').column('client_id').execute()

  await db.schema
    .createTable('sessions')
    .addColumn('id', idType, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('user_id', pg ? 'bigint' : 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_type', 'varchar(64)')
    .addColumn('device_name', 'varchar(255)')
    .addColumn('telegram_user_id', 'bigint')
    .addColumn('telegram_username', 'varchar(255)')
    .addColumn('ip_address', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('last_activity', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('revoked_at', ms)
    .addColumn('revoked_reason', 'varchar(64)')
    .execute()
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute()

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('jti', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('session_id', pg ? 'bigint' : 'integer', (c) =>
      c.notNull().references('sessions.id').onDelete('cascade'),
    )
    .addColumn('user_id', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('issued_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('rotated_at', ms)
    .addColumn('replaced_by', 'varchar(32)')
    .addColumn('blacklisted_at', ms)
    .execute()
  await db.schema.createIndex('refresh_tokens_session_id').on('refresh_tokens').column('session_id').execute()
  await db.schema.createIndex('refresh_tokens_expires_at').on('refresh_tokens').column('expires_at').execute()

  // An append-only log of what every instance must forget or refuse (a revoked session, a
  // user whose state changed). Instances poll it to keep their in-memory state current.
  await db.schema
    .createTable('revocations')
    .addColumn('id', idType, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('subject_id', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('revocations_created_at').on('revocations').column('created_at').execute()
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['revocations', 'refresh_tokens', 'sessions', 'users', 'clients']) {
    await db.schema.dropTable(table).execute()
  }
}
