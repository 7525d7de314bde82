// The two changes made behind Keyturn's back that its users triggers
// (2026-11-24T00-user-change-revocations) do not see:
//
// - a client renamed or deleted: every instance keeps each cached user with its client's
//   name, so a 'client' entry tells them to drop that client's users;
// - a user inserted with the id of one deleted before (a row restored from a backup): an
//   instance that looked the id up meanwhile keeps "no such user" for it, so an insert writes
//   a 'user' entry too.
//
// Keyturn itself never renames or deletes a client nor reuses an id (AUTOINCREMENT on SQLite,
// an identity on Postgres): these come from an operator's psql or sqlite3.
import { PostgresAdapter, sql, type Kysely } from 'kysely'

type Db = Kysely<unknown>

// Epoch milliseconds, as the revocation log keeps them (see the users triggers).
const SQLITE_NOW_MS = sql.raw(`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`)
const PG_NOW_MS = sql.raw(`floor(extract(epoch from clock_timestamp()) * 1000)::bigint`)

// One trigger that appends (kind, row.id) to the log for each row changed. On Postgres the
// log's name is fixed when the function is made (static SQL, planned once), as in the users
// function: a search_path changed later cannot redirect it.
interface LogTrigger {
  name: string
  table: 'clients' | 'users'
  events: Array<'insert' | 'update' | 'delete'>
  kind: 'client' | 'user'
  row: 'old' | 'new'
}

const TRIGGERS: LogTrigger[] = [
  { name: 'clients_changed', table: 'clients', events: ['update', 'delete'], kind: 'client', row: 'old' },
  { name: 'users_inserted', table: 'users', events: ['insert'], kind: 'user', row: 'new' },
]

const functionOf = (trigger: LogTrigger) => sql.raw(`keyturn_${trigger.name}`)

// SQLite's triggers take one event each: clients_changed_update, clients_changed_delete.
function sqliteTriggers({ name, events }: LogTrigger): Array<{ name: string; event: string }> {
  return events.map((event) => ({ name: events.length === 1 ? name : `${name}_${event}`, event }))
}

export async function up(db: Db): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const schema = pg ? (await sql<{ schema: string }>`select quote_ident(current_schema()) as schema`.execute(db)).rows[0]?.schema : undefined
  const log = sql.raw(`${schema ?? 'public'}.revocations`)
  for (const trigger of TRIGGERS) {
    const entry = sql.raw(`'${trigger.kind}', ${trigger.row}.id`)
    if (pg) {
      await sql`
        create function ${functionOf(trigger)}() returns trigger language plpgsql as $$
        begin
          insert into ${log} (kind, subject_id, created_at) values (${entry}, ${PG_NOW_MS});
          return null;
        end $$`.execute(db)
      await sql`create trigger ${sql.raw(trigger.name)} after ${sql.raw(trigger.events.join(' or '))} on ${sql.raw(trigger.table)}
                for each row execute function ${functionOf(trigger)}()`.execute(db)
      continue
    }
    for (const { name, event } of sqliteTriggers(trigger)) {
      await sql`create trigger ${sql.raw(name)} after ${sql.raw(event)} on ${sql.raw(trigger.table)} begin
        insert into revocations (kind, subject_id, created_at) values (${entry}, ${SQLITE_NOW_MS});
      end`.execute(db)
    }
  }
}

export async function down(db: Db): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  for (const trigger of TRIGGERS) {
    if (pg) {
      await sql`drop trigger ${sql.raw(trigger.name)} on ${sql.raw(trigger.table)}`.execute(db)
      await sql`drop function ${functionOf(trigger)}()`.execute(db)
      continue
    }
    for (const { name } of sqliteTriggers(trigger)) await sql`drop trigger ${sql.raw(name)}`.execute(db)
  }
}
