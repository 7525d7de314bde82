// Starting instances migrate through Kysely's Migrator, which first lists every schema's
// tables and columns to find its bookkeeping tables. On a shared Postgres database that
// listing fails when another schema's column is dropped while it runs (seen in a CI run: a
// test migrating its own schema down while another file's instance started), with
// Postgres's "column ... of relation ... does not exist". Such a failure, before any
// migration ran, is tried again; one that keeps failing comes back as the result's error.
import t from 'tap'
import type { Kysely } from 'kysely'
import { ensurePostgresSchema, openStore } from '../../../../plugins/infra/store/connect.js'
import type { Database } from '../../../../plugins/infra/store/database.js'
import { migrateToLatest } from '../../../../plugins/infra/store/migrate.js'
import { migrations } from '../../../../migrations/index.js'
import { freshStore, stores } from '../../../helper.js'

// Postgres's own error for the race (SQLSTATE 42703), as pg hands it over.
function droppedColumn(): Error {
  return Object.assign(new Error('column "xact" of relation "revocations" does not exist'), { code: '42703' })
}

// The same database, whose table listing fails the first `failures` times.
function listingFails(db: Kysely<Database>, failures: number): { db: Kysely<Database>; listings: () => number } {
  let listings = 0
  const introspection = () => {
    const real = db.introspection
    return {
      getSchemas: () => real.getSchemas(),
      getMetadata: (options?: Parameters<typeof real.getMetadata>[0]) => real.getMetadata(options),
      getTables: (options?: Parameters<typeof real.getTables>[0]) => {
        listings++
        return listings <= failures ? Promise.reject(droppedColumn()) : real.getTables(options)
      },
    }
  }
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection()
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db: wrapped, listings: () => listings }
}

for (const kind of stores()) {
  t.test(`${kind}: a table listing that fails once is read again, and every migration runs`, async (t) => {
    const { url, cleanup } = freshStore(kind)
    t.teardown(cleanup)
    if (kind === 'postgres') await ensurePostgresSchema(url)
    const store = openStore(url)
    t.teardown(() => store.close())
    const flaky = listingFails(store.db, 1)

    const result = await migrateToLatest(flaky.db, store.schema)
    t.equal(result.error, undefined)
    t.same(result.results?.map((r) => [r.migrationName, r.status]), Object.keys(migrations).map((name) => [name, 'Success']))
    t.ok(flaky.listings() > 1, 'the listing was read again')
    const users = await store.db.selectFrom('users').select('id').execute()
    t.same(users, [], 'the tables exist')
  })

  t.test(`${kind}: a listing that keeps failing comes back as the error, and nothing is migrated`, async (t) => {
    const { url, cleanup } = freshStore(kind)
    t.teardown(cleanup)
    if (kind === 'postgres') await ensurePostgresSchema(url)
    const store = openStore(url)
    t.teardown(() => store.close())
    const broken = listingFails(store.db, Infinity)

    const result = await migrateToLatest(broken.db, store.schema)
    t.match(result.error, { code: '42703' })
    t.equal(result.results, undefined)
    t.equal(broken.listings(), 3, 'three tries, then the error')
    const again = await migrateToLatest(store.db, store.schema)
    t.equal(again.results?.length, Object.keys(migrations).length, 'no migration had run')
  })
}
