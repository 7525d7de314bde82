import { Migrator, type Kysely, type MigrationResultSet } from 'kysely'
import { migrations } from '../migrations/index.js'
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

export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<MigrationResultSet> {
  return migrator(db, schema).migrateToLatest()
}

export async function pendingMigrations(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const all = await migrator(db, schema).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
