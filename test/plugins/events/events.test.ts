// Auth events for plugins: one login, refresh, logout and reuse each give exactly one event of
// their type, once their change has committed (a handler finds it in the store); a handler
// that throws or hangs changes no answer; a change that is not committed emits nothing.
import t from 'tap'
import SQLite from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { sqlitePath } from '../../../plugins/infra/store/connect.js'
import type { AuthEvent, AuthEventType, KeyturnPlugin } from '../../../index.js'
import { bearer, build, createUser, login, post, PASSWORD, stores, UNAVAILABLE } from '../../helper.js'

// Handlers still reading the store (recorder below): settle() waits for them too, since on a
// busy machine a Postgres read can outlast a fixed pause.
const reading = { count: 0 }

const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, 50))
  for (const deadline = Date.now() + 5000; reading.count > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10))
}

// A plugin recording every event, with what the store said when the handler ran.
function recorder(seen: Array<AuthEvent & { committed?: unknown }>, db: () => FastifyInstance['db']): KeyturnPlugin {
  const types: AuthEventType[] = ['login', 'login_failed', 'refresh', 'reuse_detected', 'logout', 'session_revoked', 'password_changed', 'user_created', 'user_updated']
  return async (fastify) => {
    for (const type of types) {
      fastify.keyturn.events.on(type, async (event) => {
        reading.count++
        try {
          const sessionId = 'sessionId' in event ? event.sessionId : undefined
          const row = sessionId === undefined ? undefined : await db().selectFrom('sessions').select(['id', 'revoked_at']).where('id', '=', sessionId).executeTakeFirst()
          seen.push({ ...event, committed: row })
        } finally {
          reading.count--
        }
      })
    }
  }
}

for (const store of stores()) {
  t.test(`events (${store})`, async (t) => {
    const seen: Array<AuthEvent & { committed?: unknown }> = []
    let app: FastifyInstance | undefined
    app = await build(t, { store, plugins: [recorder(seen, () => (app as FastifyInstance).db)], env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
    const alice = await createUser(app, { username: 'alice' })
    const of = (type: AuthEventType) => seen.filter((e) => e.type === type)
    // Handlers run after the answer: what is still on its way lands before the count starts.
    const reset = async () => {
      await settle()
      seen.length = 0
    }

    await settle()
    t.match(of('user_created'), [{ userId: alice.id, username: 'alice' }], 'user_created')
    await reset()

    const pair = await login(app, 'alice', PASSWORD, { device_name: 'phone' })
    await settle()
    t.equal(of('login').length, 1, 'one login event')
    t.match(of('login')[0], { userId: alice.id, sessionId: pair.session_id, deviceName: 'phone', committed: { id: pair.session_id, revoked_at: null } })
    t.type(of('login')[0]?.at, 'number')
    t.notOk(JSON.stringify(seen).includes(PASSWORD), 'no password in a payload')
    t.notOk(JSON.stringify(seen).includes(pair.access.split('.')[2] ?? '-'), 'no token in a payload')

    t.equal((await post(app, '/api/token/', { username: 'alice', password: 'wrong' })).statusCode, 401)
    await settle()
    t.match(of('login_failed'), [{ userId: alice.id, reason: 'invalid_credentials' }], 'one login_failed')

    const rotated = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ refresh: string; access: string }>()
    await settle()
    t.match(of('refresh'), [{ userId: alice.id, sessionId: pair.session_id, retried: false }], 'one refresh event')

    const phone = await login(app, 'alice')
    await reset()
    t.equal((await post(app, '/api/logout/', { refresh: phone.refresh })).statusCode, 200)
    await settle()
    t.match(of('logout'), [{ userId: alice.id, sessionId: phone.session_id, everywhere: false }], 'one logout event')
    t.match(of('session_revoked'), [{ sessionId: phone.session_id, reason: 'logout', committed: { revoked_at: Number } }], 'after the commit: revoked in the store')
    t.equal(seen.length, 2, 'nothing else')

    await reset()
    t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 401, 'a reuse')
    await settle()
    t.match(of('reuse_detected'), [{ userId: alice.id, sessionId: pair.session_id }], 'one reuse event')
    t.match(of('session_revoked'), [{ sessionId: pair.session_id, reason: 'reuse' }])
    t.equal(seen.length, 2)

    const a = await login(app, 'alice')
    const b = await login(app, 'alice')
    await reset()
    await post(app, '/api/v1/auth/logout/all/', undefined, bearer(a.access))
    await settle()
    t.match(of('logout'), [{ sessionId: a.session_id, everywhere: true }], 'logout everywhere is one logout event')
    t.same(of('session_revoked').map((e) => 'sessionId' in e && e.sessionId).sort(), [a.session_id, b.session_id].sort())
    t.ok(of('session_revoked').every((e) => 'reason' in e && e.reason === 'logout_all'))
    t.equal((await post(app, '/api/token/refresh/', { refresh: rotated.refresh })).statusCode, 401, 'the session ended by the reuse stays ended')
  })

  t.test(`a handler that throws or never finishes changes no answer (${store})`, async (t) => {
    let release: () => void = () => {}
    const hanging = new Promise<void>((resolve) => {
      release = resolve
    })
    t.teardown(() => release())
    const plugin: KeyturnPlugin = async (fastify) => {
      fastify.keyturn.events.on('login', () => {
        throw new Error('the handler is broken')
      })
      fastify.keyturn.events.on('login', () => hanging)
      fastify.keyturn.events.on('refresh', async () => {
        throw new Error('so is this one')
      })
    }
    const app = await build(t, { store, plugins: [plugin] })
    await createUser(app, { username: 'bob' })
    const pair = await login(app, 'bob')
    t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 200)
    t.equal((await login(app, 'bob')).user_id, pair.user_id, 'logins go on while a handler hangs')
    release()
  })
}

t.test('a change that is not committed emits nothing (SQLite file locked by another process)', async (t) => {
  const seen: AuthEvent[] = []
  const plugin: KeyturnPlugin = async (fastify) => {
    for (const type of ['login', 'logout', 'refresh', 'session_revoked'] as const) fastify.keyturn.events.on(type, (e) => void seen.push(e))
  }
  const app = await build(t, { plugins: [plugin], env: { KEYTURN_SQLITE_BUSY_TIMEOUT_MS: '100' } })
  await createUser(app, { username: 'carl' })
  const pair = await login(app, 'carl')
  await settle()
  seen.length = 0
  const holder = new SQLite(sqlitePath(app.config.KEYTURN_DATABASE_URL))
  t.teardown(() => {
    if (holder.open) holder.close()
  })
  holder.exec('BEGIN EXCLUSIVE')
  for (const [url, payload] of [['/api/token/', { username: 'carl', password: PASSWORD }], ['/api/token/refresh/', { refresh: pair.refresh }], ['/api/logout/', { refresh: pair.refresh }]] as const) {
    const res = await post(app, url, payload)
    t.equal(res.statusCode, 503, url)
    t.same(res.json(), UNAVAILABLE)
  }
  holder.exec('ROLLBACK')
  holder.close()
  await settle()
  t.same(seen, [], 'no event for a change that was not committed')
})

t.test('an unknown event type is refused when the handler is added', async (t) => {
  const plugin: KeyturnPlugin = async (fastify) => {
    fastify.keyturn.events.on('logged_in' as AuthEventType, () => {})
  }
  await t.rejects(build(t, { plugins: [plugin] }), { message: /no auth event named "logged_in"/ })
})
