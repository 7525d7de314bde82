// kill -9 of Keyturn right after a logout's 200: the session.revoked event was written to
// the outbox with the logout, so the next start delivers it. The receiver is down while the
// first process lives, so nothing could have been sent before the kill.
import t from 'tap'
import { build, createUser, PASSWORD, stores, TEST_SIGNING_KEY } from '../../helper.js'
import { ChildTracker, childEnv, freePort } from '../../child-processes.js'
import { Receiver } from './receiver.js'

const ENV = { KEYTURN_WEBHOOK_ALLOW_PRIVATE: 'true', KEYTURN_WEBHOOK_POLL_MS: '100', KEYTURN_WEBHOOK_RETRY_BASE: '200ms', KEYTURN_WEBHOOK_RETRY_MAX: '1s' }

async function postJson(url: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

for (const store of stores()) {
  t.test(`catalogue 31: ${store}: a logout's event survives kill -9`, async (t) => {
    // Set up in process (never listening, so it delivers nothing itself).
    const setup = await build(t, { store, env: ENV })
    const receiver = new Receiver()
    receiver.port = await freePort()
    t.teardown(() => receiver.close())
    await setup.webhooks.create(null, { url: receiver.url, events: ['session.revoked'] })
    const user = await createUser(setup)

    const procs = new ChildTracker(t)
    const serverEnv = (port: number) =>
      childEnv({
        ...ENV,
        HOST: '127.0.0.1',
        PORT: String(port),
        KEYTURN_DATABASE_URL: setup.config.KEYTURN_DATABASE_URL,
        KEYTURN_DATA_DIR: setup.config.KEYTURN_DATA_DIR,
        KEYTURN_SIGNING_KEY: TEST_SIGNING_KEY,
        KEYTURN_ARGON2_MEMORY_KIB: '1024',
        KEYTURN_ARGON2_TIME_COST: '1',
      })
    const portA = await freePort()
    const first = procs.start('server.ts', [], serverEnv(portA))
    await first.waitFor(/Server listening at/, 30_000)
    const pair = await postJson(`http://127.0.0.1:${portA}/api/token/`, { username: user.username, password: PASSWORD })
    t.equal(pair.status, 200)
    const logout = await postJson(`http://127.0.0.1:${portA}/api/token/blacklist/`, { refresh: pair.json['refresh'] })
    t.equal(logout.status, 200)
    first.child.kill('SIGKILL')
    await first.exited
    t.equal(receiver.deliveries.length, 0, 'nothing was delivered before the kill')

    await receiver.open(receiver.port)
    const portB = await freePort()
    const second = procs.start('server.ts', [], serverEnv(portB))
    await second.waitFor(/Server listening at/, 30_000)
    // A claim the killed process held runs out after the timeout and 20 s.
    const [delivery] = await receiver.until((got) => got.length >= 1, 40_000, 'session.revoked after the restart')
    t.match(delivery!.event, { type: 'session.revoked', data: { user_id: user.id, session_id: pair.json['session_id'], reason: 'logout' } })
    second.child.kill('SIGTERM')
    await second.exited
  })
}
