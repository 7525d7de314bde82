// Frozen in time. The admin console's sign-ins: each is a Keyturn session (client_type
// admin_console) whose browser holds a random cookie token; the store keeps only the
// token's SHA-256, and the row goes with its session.
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema
    .createTable('console_sessions')
    .addColumn('session_id', pg ? 'bigint' : 'integer', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('console_sessions').execute()
}
