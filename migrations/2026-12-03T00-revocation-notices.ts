// Frozen in time. On Postgres, every statement that appends to the revocation log also sends
// a notice on the channel keyturn_revocations, with the log's schema as its payload, which
// the server delivers at commit: an idle instance listens for it instead of reading the log
// twice a second (plugins/revocation/). Once per statement, not per row: a mass logout's
// million rows are one notice. SQLite needs nothing: an instance watches the file's log.
import { PostgresAdapter, sql, type Kysely } from 'kysely'

type Db = Kysely<unknown>

export async function up(db: Db): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`
    create function keyturn_revocations_notice() returns trigger language plpgsql as $$
    begin
      perform pg_notify('keyturn_revocations', tg_table_schema);
      return null;
    end $$`.execute(db)
  await sql`create trigger revocations_notice after insert on revocations
            for each statement execute function keyturn_revocations_notice()`.execute(db)
}

export async function down(db: Db): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`drop trigger revocations_notice on revocations`.execute(db)
  await sql`drop function keyturn_revocations_notice()`.execute(db)
}
