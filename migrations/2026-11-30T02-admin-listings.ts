// Frozen in time. What staff listings need to stay fast at millions of sessions:
// - sessions.client_id, the tenant of the session's user (a user's client is set when it is
//   created, and only a deleted client clears it, here as there), so
//   a tenant's sessions are one index range instead of a join through users;
// - indexes in the listings' order (sessions by last_activity and id, alone and after the
//   tenant and the client type; users by id after the tenant), so a page is read in order
//   and stops after its rows (keyset pagination);
// - substring search over username, email, device name and IP: trigram indexes (pg_trgm's
//   GIN on Postgres, an FTS5 trigram table on SQLite kept by triggers).
import { PostgresAdapter, sql, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

const LISTING_INDEXES: Array<[string, string[]]> = [
  ['sessions_recent', ['last_activity', 'id']],
  ['sessions_client_recent', ['client_id', 'last_activity', 'id']],
  ['sessions_type_recent', ['client_type', 'last_activity', 'id']],
  ['sessions_client_type_recent', ['client_id', 'client_type', 'last_activity', 'id']],
]

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  // As users.client_id: a deleted client leaves its users' sessions without one.
  await db.schema
    .alterTable('sessions')
    .addColumn('client_id', pg ? 'bigint' : 'integer', (c) => c.references('clients.id').onDelete('set null'))
    .execute()
  await sql`update sessions set client_id = (select users.client_id from users where users.id = sessions.user_id)`.execute(db)
  for (const [name, columns] of LISTING_INDEXES) await db.schema.createIndex(name).on('sessions').columns(columns).execute()
  // Live sessions, counted (the console's dashboard) from an index alone: neither index holds
  // last_activity, so a refresh, which moves it, writes to neither.
  await sql`create index sessions_live on sessions (expires_at) where revoked_at is null`.execute(db)
  await sql`create index sessions_client_live on sessions (client_id, expires_at) where revoked_at is null`.execute(db)
  // A client's users in id order (Postgres's index on client_id alone is not in id order).
  await db.schema.createIndex('users_client_listing').on('users').columns(['client_id', 'id']).execute()
  if (pg) await postgresSearch(db)
  else await sqliteSearch(db)
}

// pg_trgm is a trusted extension (Postgres 13+): a database owner may create it. Where it
// cannot be created, search still works, by scanning.
async function postgresSearch(db: AnyDb): Promise<void> {
  await sql`savepoint trigram`.execute(db)
  try {
    await sql`create extension if not exists pg_trgm with schema public`.execute(db)
    await sql`release savepoint trigram`.execute(db)
  } catch {
    // Not available, not allowed, or created meanwhile by a migration running beside this one.
    await sql`rollback to savepoint trigram`.execute(db)
  }
  // Wherever it was installed (the search path may not hold its schema).
  const found = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db)
  const schema = found.rows[0]?.schema
  if (schema === undefined) return
  const ops = sql.raw(`${quoteIdent(schema)}.gin_trgm_ops`)
  await sql`create index sessions_device_trgm on sessions using gin (lower(device_name) ${ops})`.execute(db)
  await sql`create index sessions_ip_trgm on sessions using gin (lower(ip_address) ${ops})`.execute(db)
  await sql`create index users_username_trgm on users using gin (lower(username) ${ops})`.execute(db)
  await sql`create index users_email_trgm on users using gin (lower(email) ${ops})`.execute(db)
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

// External-content FTS5 tables: the text stays in sessions and users; the triggers keep the
// trigram index in step with every insert, delete and change of the searched columns (a
// refresh's last_activity update touches none of them).
async function sqliteSearch(db: AnyDb): Promise<void> {
  const tables: Array<[search: string, table: string, columns: string[]]> = [
    ['session_search', 'sessions', ['device_name', 'ip_address']],
    ['user_search', 'users', ['username', 'email']],
  ]
  for (const [search, table, columns] of tables) {
    const list = columns.join(', ')
    const values = (row: string) => columns.map((c) => `${row}.${c}`).join(', ')
    await sql
      .raw(`create virtual table ${search} using fts5(${list}, content='${table}', content_rowid='id', tokenize='trigram')`)
      .execute(db)
    await sql.raw(`insert into ${search}(${search}) values ('rebuild')`).execute(db)
    await sql
      .raw(
        `create trigger ${search}_insert after insert on ${table} begin
           insert into ${search}(rowid, ${list}) values (new.id, ${values('new')});
         end`,
      )
      .execute(db)
    await sql
      .raw(
        `create trigger ${search}_delete after delete on ${table} begin
           insert into ${search}(${search}, rowid, ${list}) values ('delete', old.id, ${values('old')});
         end`,
      )
      .execute(db)
    await sql
      .raw(
        `create trigger ${search}_update after update of ${list} on ${table} begin
           insert into ${search}(${search}, rowid, ${list}) values ('delete', old.id, ${values('old')});
           insert into ${search}(rowid, ${list}) values (new.id, ${values('new')});
         end`,
      )
      .execute(db)
  }
}

export async function down(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  if (pg) {
    for (const name of ['sessions_device_trgm', 'sessions_ip_trgm', 'users_username_trgm', 'users_email_trgm']) {
      await sql.raw(`drop index if exists ${name}`).execute(db)
    }
  } else {
    for (const search of ['session_search', 'user_search']) {
      for (const suffix of ['insert', 'delete', 'update']) await sql.raw(`drop trigger if exists ${search}_${suffix}`).execute(db)
      await sql.raw(`drop table if exists ${search}`).execute(db)
    }
  }
  for (const [name] of LISTING_INDEXES) await db.schema.dropIndex(name).execute()
  await db.schema.dropIndex('users_client_listing').execute()
  await db.schema.dropIndex('sessions_live').execute()
  await db.schema.dropIndex('sessions_client_live').execute()
  await db.schema.alterTable('sessions').dropColumn('client_id').execute()
}
