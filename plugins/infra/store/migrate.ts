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

// Kysely looks for its bookkeeping tables by listing every schema's tables; a schema
// dropped by someone else meanwhile (other deployments, parallel test runs) makes that
// listing fail with "schema does not exist". Such a failure is worth another try.
const INTROSPECTION_RACES = new Set(['3F000', '42P01'])

export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const result = await migrator(db, schema).migrateToLatest()
    const code = (result.error as { code?: unknown } | undefined)?.code
    if (!result.error || attempt === 3 || typeof code !== 'string' || !INTROSPECTION_RACES.has(code)) return result
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
  }
}

export async function pendingMigrations(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const all = await migrator(db, schema).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
