// The SQLite store's group commit: transactions that arrive together share one COMMIT, each
// still all-or-nothing, none answered before its work is durable, and reads outside a
// transaction never see a batch that is not committed yet.
import SQLite from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import t, { type Test } from 'tap'

type Teardown = Pick<Test, 'teardown'>
import { openStore, type Store } from '../../../../plugins/infra/store/connect.js'
import { migrateToLatest } from '../../../../plugins/infra/store/migrate.js'

async function sqliteStore(t: Teardown): Promise<{ store: Store; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-gc-'))
  const path = join(dir, 'keyturn.sqlite')
  const store = openStore(`sqlite:${path}`)
  const migrated = await migrateToLatest(store.db)
  if (migrated.error) throw migrated.error
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { store, path }
}

// What another process sees: only committed data.
function committedClientNames(path: string): string[] {
  const other = new SQLite(path, { readonly: true })
  try {
    return (other.prepare('select name from clients order by name').all() as Array<{ name: string }>).map((r) => r.name)
  } finally {
    other.close()
  }
}

const walBytes = (path: string): number => {
  try {
    return statSync(`${path}-wal`).size
  } catch {
    return 0
  }
}

t.test('concurrent transactions share a commit; a failing one rolls back alone', async (t) => {
  const { store, path } = await sqliteStore(t)
  const before = walBytes(path)
  const outcomes = await Promise.allSettled(
    Array.from({ length: 40 }, (_, i) =>
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('clients').values({ name: `c${String(i).padStart(2, '0')}`, created_at: i }).execute()
        await trx.insertInto('clients').values({ name: `d${String(i).padStart(2, '0')}`, created_at: i }).execute()
        if (i === 7) throw new Error('this one fails')
      }),
    ),
  )
  t.equal(outcomes.filter((o) => o.status === 'rejected').length, 1)
  const names = committedClientNames(path)
  t.equal(names.length, 78, 'every pair but the failed one is committed')
  t.notOk(names.includes('c07') || names.includes('d07'), 'nothing of the failed transaction is kept')
  // Forty commits would append at least forty pages to the WAL; one batch appends a few.
  const pages = (walBytes(path) - before) / 4120
  t.ok(pages < 10, `the 40 transactions appended ${pages} WAL pages`)
})

t.test('a transaction resolves only once its work is committed', async (t) => {
  const { store, path } = await sqliteStore(t)
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto('clients').values({ name: 'durable', created_at: 1 }).execute()
  })
  t.same(committedClientNames(path), ['durable'])
  await store.db.insertInto('clients').values({ name: 'on its own', created_at: 2 }).execute()
  t.same(committedClientNames(path), ['durable', 'on its own'], 'a write outside a transaction too')
})

t.test('reads outside a transaction see only committed data and do not wait for one', async (t) => {
  const { store } = await sqliteStore(t)
  let finish!: () => void
  const held = new Promise<void>((resolve) => (finish = resolve))
  let inserted!: () => void
  const insertedYet = new Promise<void>((resolve) => (inserted = resolve))
  const writing = store.db.transaction().execute(async (trx) => {
    await trx.insertInto('clients').values({ name: 'pending', created_at: 1 }).execute()
    inserted()
    await held
  })
  await insertedYet
  const during = await store.db.selectFrom('clients').select('name').execute()
  t.same(during, [], 'the uncommitted row is not read')
  finish()
  await writing
  const after = await store.db.selectFrom('clients').select('name').execute()
  t.same(after, [{ name: 'pending' }])
})

t.test("a write waits for another process's lock without stopping the event loop", async (t) => {
  const { store, path } = await sqliteStore(t)
  // Another process's writer (a flush between batches, another instance), here a second
  // connection that this same thread must be free to release.
  const other = new SQLite(path)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const events: string[] = []
  const writing = store.db
    .insertInto('clients')
    .values({ name: 'waited', created_at: 1 })
    .execute()
    .then(() => events.push('write committed'))
  // SQLite's own busy handler would sleep in this thread until its timeout (5 s), and with
  // the lock still held the write would fail: the timer and the read would come after.
  await new Promise((resolve) => setTimeout(resolve, 50))
  events.push('timer ran')
  t.same(await store.db.selectFrom('clients').select('name').execute(), [], 'a read is answered meanwhile')
  events.push('lock released')
  other.exec('COMMIT')
  await writing
  t.same(events, ['timer ran', 'lock released', 'write committed'])
  t.same(committedClientNames(path), ['waited'], 'the write went in once the lock was free')
})

t.test('a unique violation fails its transaction only, and the store goes on', async (t) => {
  const { store, path } = await sqliteStore(t)
  await store.db.insertInto('users').values({ username: 'u', email: null, password_hash: 'x', client_id: null, date_joined: 0, created_at: 0, updated_at: 0 }).execute()
  const outcomes = await Promise.allSettled([
    store.db.transaction().execute((trx) => trx.insertInto('clients').values({ name: 'kept', created_at: 1 }).execute()),
    store.db.insertInto('users').values({ username: 'u', email: null, password_hash: 'y', client_id: null, date_joined: 0, created_at: 0, updated_at: 0 }).execute(),
    store.db.transaction().execute((trx) => trx.insertInto('clients').values({ name: 'also kept', created_at: 2 }).execute()),
  ])
  t.same(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.same(committedClientNames(path), ['also kept', 'kept'])
  const users = await store.db.selectFrom('users').select('password_hash').execute()
  t.same(users, [{ password_hash: 'x' }])
})

t.test('a COMMIT that fails fails every member of its batch, keeps nothing, and the store goes on', async (t) => {
  const { store, path } = await sqliteStore(t)
  // A deferred foreign key is checked at COMMIT: a dangling one makes the shared COMMIT fail.
  const outcomes = await Promise.allSettled([
    sql`pragma defer_foreign_keys = on`.execute(store.db),
    store.db.transaction().execute((trx) => trx.insertInto('clients').values({ name: 'innocent', created_at: 1 }).execute()),
    store.db.transaction().execute((trx) =>
      trx.insertInto('refresh_tokens').values({ jti: 'dangling', session_id: 999, user_id: 1, issued_at: 0, expires_at: 1 }).execute(),
    ),
  ])
  // (The pragma itself touches no table: only the two transactions are members.)
  t.same(outcomes.slice(1).map((o) => o.status), ['rejected', 'rejected'], 'the innocent member fails with the guilty one')
  // The innocent member hears of an outage (503), the COMMIT's own error as its cause.
  t.match((outcomes[1] as PromiseRejectedResult).reason, { code: 'SQLITE_ABORT_ROLLBACK', cause: { code: /^SQLITE_CONSTRAINT/ } })
  t.same(committedClientNames(path), [], 'nothing of the failed batch is committed')
  await store.db.transaction().execute((trx) => trx.insertInto('clients').values({ name: 'later', created_at: 2 }).execute())
  t.same(committedClientNames(path), ['later'], 'the next batch commits')
  t.same(await store.db.selectFrom('refresh_tokens').select('jti').execute(), [])
})

t.test('an in-memory store works as before (one connection)', async (t) => {
  const store = openStore('sqlite::memory:')
  t.teardown(() => store.close())
  const migrated = await migrateToLatest(store.db)
  t.equal(migrated.error, undefined)
  await store.db.transaction().execute((trx) => trx.insertInto('clients').values({ name: 'm', created_at: 1 }).execute())
  t.same(await store.db.selectFrom('clients').select('name').execute(), [{ name: 'm' }])
})
