// A SQLite store gives deleted rows' space back to the disk: a file Keyturn creates is in
// incremental auto-vacuum mode, and flushexpiredtokens frees its pages a step at a time; a
// file made before that is switched over once with --vacuum.
import t from 'tap'
import SQLite from 'better-sqlite3'
import { statSync } from 'node:fs'
import { openStore, sqlitePath } from '../../../../plugins/infra/store/connect.js'
import { migrateToLatest } from '../../../../plugins/infra/store/migrate.js'
import { reclaimSqliteSpace } from '../../../../plugins/infra/store/sqlite-space.js'
import { freshStore } from '../../../helper.js'

const ROWS = 20_000

// Fills the revocation log with ~10 MB and deletes it all again.
function churn(path: string): void {
  const database = new SQLite(path)
  const insert = database.prepare(`insert into revocations (kind, subject_id, created_at) values ('session', ?, ?)`)
  database.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(i, Date.now())
  })()
  database.exec(`create table filler (blob text); insert into filler select hex(randomblob(400)) from revocations;`)
  database.exec('delete from revocations; drop table filler')
  database.pragma('wal_checkpoint(TRUNCATE)')
  database.close()
}

t.test("a store Keyturn creates shrinks after a flush", async (t) => {
  const { url, cleanup } = freshStore('sqlite')
  t.teardown(cleanup)
  const store = openStore(url)
  await migrateToLatest(store.db)
  await store.close()
  const path = sqlitePath(url)
  churn(path)
  const before = statSync(path).size
  const space = await reclaimSqliteSpace(path)
  t.equal(space.mode, 'incremental', 'created in incremental auto-vacuum mode')
  t.ok(space.freedPages > 1000, `freed ${space.freedPages} pages`)
  t.equal(space.freePagesLeft, 0, 'no free page left inside the file')
  t.ok(statSync(path).size < before / 2, `the file shrank: ${before} -> ${statSync(path).size} bytes`)
  t.ok(space.longestStepMs > 0, `each step timed: the longest held the lock ${space.longestStepMs.toFixed(1)} ms`)
})

t.test('a file made before keeps its free pages until one --vacuum switches it over', async (t) => {
  const { url, cleanup } = freshStore('sqlite')
  t.teardown(cleanup)
  const path = sqlitePath(url)
  // As an older Keyturn made it: no auto-vacuum.
  const old = new SQLite(path)
  old.pragma('journal_mode = WAL')
  old.exec('create table made_before (x)')
  old.close()
  const store = openStore(url)
  await migrateToLatest(store.db)
  await store.close()
  churn(path)
  const kept = await reclaimSqliteSpace(path)
  t.equal(kept.mode, 'none')
  t.equal(kept.freedPages, 0, 'nothing given back without the switch')
  t.ok(kept.freePagesLeft > 1000, 'the free pages are still in the file (the CLI says so)')
  const before = statSync(path).size
  const vacuumed = await reclaimSqliteSpace(path, { vacuum: true })
  t.equal(vacuumed.mode, 'incremental', 'switched over')
  t.equal(vacuumed.freePagesLeft, 0)
  t.ok(statSync(path).size < before / 2, 'and the file shrank')
  churn(path)
  t.ok((await reclaimSqliteSpace(path)).freedPages > 1000, 'from then on every flush gives space back')
})
