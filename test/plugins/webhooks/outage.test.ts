// A receiver that is down for a minute gets every event afterwards: the deliveries wait in
// the outbox and are retried with backoff (capped here at 5 s, so the test ends soon after the
// receiver is back). Both stores at once, to keep the suite's time.
import t, { type Test } from 'tap'
import { build, createUser, login, stores, type StoreName } from '../../helper.js'
import { Receiver } from './receiver.js'
import { freePort } from '../../child-processes.js'

const OUTAGE_MS = 60_000
const ENV = {
  KEYTURN_WEBHOOK_ALLOW_PRIVATE: 'true',
  KEYTURN_WEBHOOK_POLL_MS: '100',
  KEYTURN_WEBHOOK_RETRY_BASE: '500ms',
  KEYTURN_WEBHOOK_RETRY_MAX: '5s',
}

async function outage(t: Test, store: StoreName) {
  const app = await build(t, { store, env: ENV })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const receiver = new Receiver()
  receiver.port = await freePort()
  t.teardown(() => receiver.close())
  await app.webhooks.create(null, { url: receiver.url, events: ['session.created', 'session.revoked'] })
  const user = await createUser(app)

  // Events all through the outage: a login and a logout every few seconds.
  const started = Date.now()
  let made = 0
  while (Date.now() - started < OUTAGE_MS - 5000) {
    const pair = await login(app, user.username)
    await app.inject({ method: 'POST', url: '/api/token/blacklist/', payload: { refresh: pair.refresh } })
    made += 2
    await new Promise((resolve) => setTimeout(resolve, 5000))
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - started))))
  const failedAttempts = await app.db.selectFrom('webhook_attempts').select('id').where('status_code', 'is', null).execute()
  t.ok(failedAttempts.length > made, `${store}: retried during the outage (${failedAttempts.length} failed attempts for ${made} events)`)

  await receiver.open(receiver.port)
  const back = Date.now()
  await receiver.until((got) => got.length >= made, 15_000, 'every event after the outage')
  t.ok(true, `${store}: all ${made} events ${Date.now() - back} ms after the receiver came back`)
  const staged = await app.db.selectFrom('webhook_events').select('id').execute()
  t.same(new Set(receiver.deliveries.map((d) => d.event.id)), new Set(staged.map((row) => row.id)), `${store}: every staged event, once`)
  t.equal(receiver.deliveries.length, made)
}

t.test('a receiver down for a minute gets every event afterwards', async (t) => {
  await Promise.all(stores().map((store) => outage(t, store)))
})
