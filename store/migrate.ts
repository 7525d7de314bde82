import { Migrator, type Kysely, type MigrationResultSet } from 'kysely'
import { migrations } from '../migrations/index.js'
import type { Database } from './database.js'

// Kysely's Migrator takes a lock, so instances starting together migrate once.
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  return migrator.migrateToLatest()
}

export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const all = await migrator.getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
