// Frozen in time. Marks a rotated refresh token whose one grace retry was used, so a lost
// refresh response can be retried once (KEYTURN_ROTATION_GRACE_SECONDS) and no more.
import { PostgresAdapter, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const ms = db.getExecutor().adapter instanceof PostgresAdapter ? 'bigint' : 'integer'
  await db.schema.alterTable('refresh_tokens').addColumn('grace_used_at', ms).execute()
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('grace_used_at').execute()
}
