import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import type { Database } from '../store/database.js'
import { ensurePostgresSchema, openStore, type StoreKind } from '../store/connect.js'
import { migrateToLatest } from '../store/migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    storeKind: StoreKind
    // The Postgres schema named in the database URL, if any.
    storeSchema: string | undefined
  }
}

// Owns the Kysely instance: opens the store named by KEYTURN_DATABASE_URL, brings its schema
// up to date before the first request, and closes it last.
export default fp(
  async (fastify) => {
    const url = fastify.config.KEYTURN_DATABASE_URL
    if (url.startsWith('postgres')) await ensurePostgresSchema(url)
    const store = openStore(url, {
      sqliteSynchronous: fastify.config.KEYTURN_SQLITE_SYNCHRONOUS,
      sqliteBusyTimeoutMs: fastify.config.KEYTURN_SQLITE_BUSY_TIMEOUT_MS,
      poolSize: fastify.config.KEYTURN_PG_POOL_SIZE,
      preparedStatements: fastify.config.KEYTURN_PG_PREPARED_STATEMENTS,
    })
    const { error, results } = await migrateToLatest(store.db, store.schema)
    for (const r of results ?? []) {
      if (r.status === 'Success') fastify.log.info({ migration: r.migrationName }, 'migration applied')
    }
    if (error) {
      await store.close()
      throw error
    }
    fastify.decorate('db', store.db)
    fastify.decorate('storeKind', store.kind)
    fastify.decorate('storeSchema', store.schema)
    fastify.addHook('onClose', async () => store.close())
  },
  { name: 'db', dependencies: ['config'] },
)
