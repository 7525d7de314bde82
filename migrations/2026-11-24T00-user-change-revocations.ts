// Frozen in time. Every change to a users row, however it is made (Keyturn, or an operator
// in psql or sqlite3), writes a 'user' entry to the revocation log in the same transaction,
// so no instance keeps serving a cached user that was deleted or changed.
//
// On Postgres each log row also carries the id of the transaction that wrote it (xact): the
// poll reads the log in commit order by it, never by created_at (see plugins/revocation/).
// On SQLite the ids are in commit order already (one writer at a time, AUTOINCREMENT).
import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Only raw SQL here: no table types needed.
type Db = Kysely<unknown>

// julianday rather than unixepoch('subsec'): the trigger also runs inside an operator's
// sqlite3, which may predate 3.42.
const SQLITE_NOW_MS = sql.raw(`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`)

export async function up(db: Db): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table revocations add column xact xid8 not null default pg_current_xact_id()`.execute(db)
    await sql`create index revocations_xact on revocations (xact)`.execute(db)
    // The log beside the users table, named with its schema when the function is made: an
    // operator's search_path may name another, and static SQL keeps its plan between calls
    // (EXECUTE of a formatted string was planned again on every login).
    const { rows } = await sql<{ schema: string }>`select quote_ident(current_schema()) as schema`.execute(db)
    const log = sql.raw(`${rows[0]?.schema ?? 'public'}.revocations`)
    const nowMs = sql.raw(`floor(extract(epoch from clock_timestamp()) * 1000)::bigint`)
    await sql`
      create function keyturn_user_changed() returns trigger language plpgsql as $$
      begin
        insert into ${log} (kind, subject_id, created_at) values ('user', old.id, ${nowMs});
        if tg_op = 'UPDATE' and new.id <> old.id then
          insert into ${log} (kind, subject_id, created_at) values ('user', new.id, ${nowMs});
        end if;
        return null;
      end $$`.execute(db)
    await sql`create trigger users_changed after update or delete on users
              for each row execute function keyturn_user_changed()`.execute(db)
    return
  }
  await sql`create trigger users_updated after update on users begin
    insert into revocations (kind, subject_id, created_at) values ('user', old.id, ${SQLITE_NOW_MS});
    insert into revocations (kind, subject_id, created_at) select 'user', new.id, ${SQLITE_NOW_MS} where new.id <> old.id;
  end`.execute(db)
  await sql`create trigger users_deleted after delete on users begin
    insert into revocations (kind, subject_id, created_at) values ('user', old.id, ${SQLITE_NOW_MS});
  end`.execute(db)
}

export async function down(db: Db): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop trigger users_changed on users`.execute(db)
    await sql`drop function keyturn_user_changed()`.execute(db)
    await sql`alter table revocations drop column xact`.execute(db)
    return
  }
  await sql`drop trigger users_updated`.execute(db)
  await sql`drop trigger users_deleted`.execute(db)
}
