// The `db` plugin: owns the Kysely instance. It opens the store named by
// KEYTURN_DATABASE_URL, brings its schema up to date before the first request, and closes it
// last. The server and the `keyturn` command both open the store through it.
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import type { Database } from './database.js'
import type { ChangeSignal } from './change-signal.js'
import { ensurePostgresSchema, openStore, type StoreKind, type StoreStats } from './connect.js'
import { migrateToLatest } from './migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    storeKind: StoreKind
    // The Postgres schema named in the database URL, if any.
    storeSchema: string | undefined
    storeStats: StoreStats
    // Word that a table may have changed (change-signal.ts); undefined for a store in memory.
    storeChanges: ((channel: string) => ChangeSignal) | undefined
  }
}

export interface StorePluginOptions {
  // Called with each migration applied at start (the CLI prints them).
  onMigration?: (name: string) => void
}

export default fp<StorePluginOptions>(
  async (fastify, opts) => {
    const { config } = fastify
    const url = config.KEYTURN_DATABASE_URL
    if (url.startsWith('postgres')) await ensurePostgresSchema(url)
    const store = openStore(url, {
      sqliteSynchronous: config.KEYTURN_SQLITE_SYNCHRONOUS,
      sqliteBusyTimeoutMs: config.KEYTURN_SQLITE_BUSY_TIMEOUT_MS,
      sqliteCacheMb: config.KEYTURN_SQLITE_CACHE_MB,
      poolSize: config.KEYTURN_PG_POOL_SIZE,
      preparedStatements: config.KEYTURN_PG_PREPARED_STATEMENTS,
    })
    const { error, results } = await migrateToLatest(store.db, store.schema)
    for (const r of results ?? []) {
      if (r.status !== 'Success') continue
      fastify.log.info({ migration: r.migrationName }, 'migration applied')
      opts.onMigration?.(r.migrationName)
    }
    if (error) {
      await store.close()
      throw error
    }
    fastify.decorate('db', store.db)
    fastify.decorate('storeKind', store.kind)
    fastify.decorate('storeSchema', store.schema)
    fastify.decorate('storeStats', store.stats)
    fastify.decorate('storeChanges', store.changes)
    fastify.addHook('onClose', async () => store.close())
  },
  { name: 'db', dependencies: ['config'] },
)
