// The `keyturn` commands on Postgres, as an operator runs them (store-commands.ts), and a
// migration beside another Keyturn schema. Skipped without KEYTURN_TEST_POSTGRES_URL.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { ChildTracker, childEnv } from '../child-processes.js'
import { freshStore, stores } from '../helper.js'
import { buildOn, CLI_TEST_TIMEOUT_MS, LOW_ARGON2 } from './keyturn-command.js'
import { storeCommands } from './store-commands.js'

t.setTimeout(CLI_TEST_TIMEOUT_MS)

if (!stores().includes('postgres')) t.pass('no Postgres: set KEYTURN_TEST_POSTGRES_URL to run these')
else {
  storeCommands(t, 'postgres')

  // Two Keyturn stores in one database (two deployments, or two test files running at once):
  // the migration bookkeeping of one schema must not be mistaken for the other's.
  t.test('migrate a Postgres schema next to another Keyturn schema', async (t) => {
    const neighbour = freshStore('postgres')
    const mine = freshStore('postgres')
    const procs = new ChildTracker(t)
    let other: FastifyInstance | undefined
    t.teardown(async () => {
      procs.killAll()
      await other?.close()
      await neighbour.cleanup()
      await mine.cleanup()
    })
    other = await buildOn(neighbour.url, neighbour.dataDir)
    const env = childEnv({ NODE_ENV: 'test', KEYTURN_DATABASE_URL: mine.url, KEYTURN_DATA_DIR: mine.dataDir, ...LOW_ARGON2 })
    const r = await procs.run('cli/index.ts', ['migrate'], env)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /applied migration 2026-11-22T00-initial-schema/)
    const schema = new URL(mine.url).searchParams.get('schema')
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema}`.execute(other.db)
    t.ok(tables.rows.map((row) => row.table_name).includes('users'), 'the tables are in my schema')
  })
}
