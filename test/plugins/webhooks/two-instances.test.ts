// Two instances on one store, both delivering: each event reaches a healthy receiver exactly
// once (a delivery is claimed by one instance), whichever instance staged it. The second
// instance is a server process of its own, as in production (two SQLite writers in one
// process would wait on each other's lock with the event loop blocked).
import t from 'tap'
import { build, createUser, PASSWORD, stores, TEST_SIGNING_KEY } from '../../helper.js'
import { ChildTracker, childEnv, freePort } from '../../child-processes.js'
import { outboxSettled, Receiver } from './receiver.js'

const ENV = { KEYTURN_WEBHOOK_ALLOW_PRIVATE: 'true', KEYTURN_WEBHOOK_POLL_MS: '50' }
const LOGINS = 40

async function loginAt(base: string, username: string): Promise<void> {
  const res = await fetch(`${base}/api/token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) })
  if (res.status !== 200) throw new Error(`login at ${base}: ${res.status} ${await res.text()}`)
}

for (const store of stores()) {
  t.test(`${store}: two instances deliver each event once`, async (t) => {
    const a = await build(t, { store, env: ENV })
    await a.listen({ host: '127.0.0.1', port: 0 })
    const port = await freePort()
    const b = new ChildTracker(t).start(
      'server.ts',
      [],
      childEnv({
        ...ENV,
        HOST: '127.0.0.1',
        PORT: String(port),
        KEYTURN_DATABASE_URL: a.config.KEYTURN_DATABASE_URL,
        KEYTURN_DATA_DIR: a.config.KEYTURN_DATA_DIR,
        KEYTURN_SIGNING_KEY: TEST_SIGNING_KEY,
        KEYTURN_ARGON2_MEMORY_KIB: '1024',
        KEYTURN_ARGON2_TIME_COST: '1',
        KEYTURN_LOGIN_RATE_LIMIT: '0',
        KEYTURN_LOGIN_FREE_FAILURES: '1000',
      }),
    )
    await b.waitFor(/Server listening at/, 30_000)
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    await a.webhooks.create(null, { url: receiver.url, events: ['session.created'] })
    // B hears of the endpoint through the revocation log (within a poll of 500 ms).
    await new Promise((resolve) => setTimeout(resolve, 1500))

    const user = await createUser(a)
    // Logins on both, concurrently: both dispatchers find work at once.
    const addressA = `http://127.0.0.1:${(a.server.address() as { port: number }).port}`
    const addressB = `http://127.0.0.1:${port}`
    await Promise.all(Array.from({ length: LOGINS }, (_, i) => loginAt(i % 2 === 0 ? addressA : addressB, user.username)))
    await receiver.until((got) => got.length >= LOGINS, 10_000, 'every login')
    // Time for a second delivery of anything, had one been claimed twice.
    await new Promise((resolve) => setTimeout(resolve, 500))
    await outboxSettled(a.db)
    const ids = receiver.deliveries.map((d) => d.event.id)
    t.equal(ids.length, LOGINS, 'one delivery per event')
    t.equal(new Set(ids).size, LOGINS, 'no event twice')
    const rows = await a.db.selectFrom('webhook_deliveries').select(['state', 'attempts']).execute()
    t.same([...new Set(rows.map((row) => `${row.state}/${row.attempts}`))], ['delivered/1'], 'each delivered at the first attempt')
    const byInstance = await a.db.selectFrom('webhook_attempts').select('id').execute()
    t.equal(byInstance.length, LOGINS, 'one attempt per delivery')
  })
}
