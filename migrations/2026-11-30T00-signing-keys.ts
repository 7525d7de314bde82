// Frozen in time. Managed signing keys (KEYTURN_KEYS=managed): Keyturn's own key pairs, the
// private half sealed with KEYTURN_KEY_ENCRYPTION_KEY. A key is 'next' (published, not
// signing), 'active' (signing), 'retired' (published until its tokens have expired) or
// 'revoked' (unpublished, its tokens refused). The two partial unique indexes make "one
// active key, at most one next" a rule of the store, whatever instances race to change them.
import { PostgresAdapter, sql, type Kysely } from 'kysely'

type AnyDb = Kysely<any>

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const ms = pg ? 'bigint' : 'integer'
  await db.schema
    .createTable('signing_keys')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kid', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('algorithm', 'varchar(8)', (c) => c.notNull())
    .addColumn('state', 'varchar(8)', (c) => c.notNull())
    // The public JWK as published; the private key as sealed by plugins/keys/key-sealing.ts.
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('sealed_private_key', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    // A next key signs from here on (at the earliest twice the JWKS max-age after created_at).
    .addColumn('activates_at', ms, (c) => c.notNull())
    .addColumn('activated_at', ms)
    .addColumn('retired_at', ms)
    .addColumn('revoked_at', ms)
    .execute()
  await sql`create unique index signing_keys_one_active on signing_keys (state) where state = 'active'`.execute(db)
  await sql`create unique index signing_keys_one_next on signing_keys (state) where state = 'next'`.execute(db)
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('signing_keys').execute()
}
