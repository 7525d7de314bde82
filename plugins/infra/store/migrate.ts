import { Migrator, type Kysely, type MigrationResultSet } from 'kysely'
import { migrations } from '../../../migrations/index.js'
import type { Database } from './database.js'

// Kysely's Migrator takes a lock, so instances starting together migrate once. With a
// Postgres schema, its bookkeeping tables live in that schema too (otherwise it may find
// another schema's and skip creating its own).
function migrator(db: Kysely<Database>, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
}

// Kysely looks for its bookkeeping tables by listing every schema's tables and columns; a
// schema, table or column dropped by someone else meanwhile (other deployments, parallel
// test runs, a migration down in another schema) makes that listing fail: "schema does not
// exist", "column ... of relation ... does not exist". A failure before any migration ran
// is that bookkeeping's (a failed migration comes back with its results), and worth another
// try: the listing is read again, the migrations run under Kysely's lock as before.
const ATTEMPTS = 3

export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const result = await migrator(db, schema).migrateToLatest()
    if (!result.error || result.results !== undefined || attempt === ATTEMPTS) return result
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
  }
}

export async function pendingMigrations(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const all = await migrator(db, schema).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
