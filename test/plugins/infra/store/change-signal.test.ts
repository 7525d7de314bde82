// The store's word that a table may have changed (change-signal.ts): a commit by another
// connection is told once to an armed listener, and nothing after a disarm; on Postgres only
// the notices of its own schema count, and the loss of its connection is told as a change.
import t from 'tap'
import pg from 'pg'
import type { ChangeSignal } from '../../../../plugins/infra/store/change-signal.js'
import { openStore } from '../../../../plugins/infra/store/connect.js'
import { migratedStore, stores } from '../../../helper.js'
import { operatorConnection } from '../../../operator-connection.js'

const CHANNEL = 'keyturn_revocations'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// Arms the signal, asking again while it cannot tell yet (Postgres opens its connection
// after the first ask).
async function armed(signal: ChangeSignal, onChange: () => void): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (await signal.arm(onChange)) return true
    await sleep(100)
  }
  return false
}

// Resolves with the ms from now until the signal tells, or Infinity after `limitMs`.
function toldWithin(arm: (onChange: () => void) => Promise<boolean>, limitMs: number) {
  const start = Date.now()
  let told = 0
  let resolveTold: (ms: number) => void = () => {}
  const result = new Promise<number>((resolve) => {
    resolveTold = resolve
    setTimeout(() => resolve(Infinity), limitMs)
  })
  const armed = arm(() => {
    told++
    resolveTold(Date.now() - start)
  })
  return { armed, result, times: () => told }
}

for (const kind of stores()) {
  t.test(`a commit by another connection is told to an armed listener (${kind})`, async (t) => {
    const store = await migratedStore(t, kind)
    const signal = store.changes?.(CHANNEL)
    if (signal === undefined) throw new Error('no change signal')
    t.teardown(() => signal.close())
    const operator = await operatorConnection(t, store.url)
    // Something to watch on SQLite: the file's log, which a first write makes.
    await operator.exec(`insert into ${operator.table('revocations')} (kind, subject_id, created_at) values ('session', 1, 1)`)

    const first = toldWithin((onChange) => armed(signal, onChange), 3000)
    t.equal(await first.armed, true, 'armed')
    await sleep(100)
    t.equal(first.times(), 0, 'nothing told while nothing changes')
    await operator.exec(`insert into ${operator.table('revocations')} (kind, subject_id, created_at) values ('session', 2, 2)`)
    const ms = await first.result
    t.ok(ms < 1000, `told ${ms} ms after the commit`)
    await operator.exec(`insert into ${operator.table('revocations')} (kind, subject_id, created_at) values ('session', 3, 3)`)
    await sleep(200)
    t.equal(first.times(), 1, 'told once, then off until armed again')

    const second = toldWithin((onChange) => armed(signal, onChange), 500)
    t.equal(await second.armed, true)
    signal.disarm()
    await operator.exec(`insert into ${operator.table('revocations')} (kind, subject_id, created_at) values ('session', 4, 4)`)
    t.equal(await second.result, Infinity, 'nothing told after a disarm')
  })
}

t.test('a SQLite store in memory has no change signal', async (t) => {
  const store = openStore('sqlite::memory:')
  t.teardown(() => store.close())
  t.equal(store.changes, undefined)
})

if (stores().includes('postgres')) {
  t.test("Postgres: another schema's log is not this store's change; a lost connection is told, and the next arm connects again", async (t) => {
    const mine = await migratedStore(t, 'postgres')
    const other = await migratedStore(t, 'postgres')
    const signal = mine.changes?.(CHANNEL)
    if (signal === undefined) throw new Error('no change signal')
    t.teardown(() => signal.close())
    const operator = await operatorConnection(t, other.url)

    const foreign = toldWithin((onChange) => armed(signal, onChange), 500)
    t.equal(await foreign.armed, true)
    await operator.exec(`insert into ${operator.table('revocations')} (kind, subject_id, created_at) values ('session', 1, 1)`)
    t.equal(await foreign.result, Infinity, "another schema's commit is not told")

    const schema = new URL(mine.url).searchParams.get('schema') as string
    const admin = new pg.Client({ connectionString: process.env.KEYTURN_TEST_POSTGRES_URL })
    await admin.connect()
    t.teardown(() => admin.end())
    const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`keyturn notices ${schema}`])
    t.equal(rowCount, 1, 'the listening connection ended')
    await sleep(300)
    t.equal(foreign.times(), 1, 'its loss is told as a change')

    const again = toldWithin((onChange) => armed(signal, onChange), 3000)
    t.equal(await again.armed, true, 'armed again on a new connection')
    const mineOperator = await operatorConnection(t, mine.url)
    await mineOperator.exec(`insert into ${mineOperator.table('revocations')} (kind, subject_id, created_at) values ('session', 5, 5)`)
    t.ok((await again.result) < 1000, 'and told of the next commit')
  })
}
