import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { bearer, build, createUser, login, post, stores } from '../../../../helper.js'

const get = (app: FastifyInstance, url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) })

for (const store of stores()) {
  t.test(`sessions (${store})`, async (t) => {
    const app = await build(t, { store })
    await createUser(app, { username: 'carol' })
    const devices = [
      { client_type: 'website', device_name: 'Firefox on laptop' },
      { client_type: 'telegram_bot', device_name: 'bot', telegram_user_id: 777, telegram_username: 'carol_tg' },
      { client_type: 'mobile', device_name: 'Pixel' },
    ]
    const pairs = []
    for (const device of devices) pairs.push(await login(app, 'carol', undefined, device))
    const [web, bot, phone] = pairs as [(typeof pairs)[0], (typeof pairs)[0], (typeof pairs)[0]]

    t.test('three logins, three sessions, exactly one current', async (t) => {
      const res = await get(app, '/api/v1/auth/sessions/', bot.access)
      t.equal(res.statusCode, 200)
      const list = res.json<Record<string, unknown>[]>()
      t.equal(list.length, 3)
      t.same(list.filter((s) => s.is_current).map((s) => s.id), [bot.session_id])
      const botView = list.find((s) => s.id === bot.session_id)
      t.match(botView, {
        client_type: 'telegram_bot',
        device_name: 'bot',
        telegram_user_id: 777,
        telegram_username: 'carol_tg',
        ip_address: '127.0.0.1',
        user_agent: 'lightMyRequest',
        is_active: true,
        created_at: /Z$/,
        last_activity: /Z$/,
        expires_at: /Z$/,
      })
      t.same(Object.keys(botView ?? {}).sort(), [
        'client_type', 'created_at', 'device_name', 'expires_at', 'id', 'ip_address', 'is_active', 'is_current',
        'last_activity', 'telegram_user_id', 'telegram_username', 'user_agent',
      ])
      const one = await get(app, `/api/v1/auth/sessions/${web.session_id}/`, bot.access)
      t.equal(one.statusCode, 200)
      t.match(one.json(), { id: web.session_id, device_name: 'Firefox on laptop', is_current: false })
    })

    t.test('revoking one ends that device only', async (t) => {
      const res = await post(app, `/api/v1/auth/sessions/${phone.session_id}/revoke/`, {}, bearer(web.access))
      t.equal(res.statusCode, 200)
      t.same(res.json(), { message: 'Session revoked', id: phone.session_id })
      t.equal((await get(app, '/api/user/', phone.access)).statusCode, 401)
      t.equal((await post(app, '/api/token/refresh/', { refresh: phone.refresh })).statusCode, 401)
      t.equal((await get(app, '/api/user/', web.access)).statusCode, 200)
      t.equal((await get(app, '/api/user/', bot.access)).statusCode, 200)
      const list = (await get(app, '/api/v1/auth/sessions/', web.access)).json<{ id: number; is_active: boolean }[]>()
      t.equal(list.find((s) => s.id === phone.session_id)?.is_active, false)
    })

    t.test("catalogue 16: another user's session answers like a missing one", async (t) => {
      await createUser(app, { username: 'mallory' })
      const mallory = await login(app, 'mallory')
      for (const url of [`/api/v1/auth/sessions/${web.session_id}/`, '/api/v1/auth/sessions/999999/', '/api/v1/auth/sessions/abc/']) {
        const res = await get(app, url, mallory.access)
        t.equal(res.statusCode, 404, url)
        t.same(res.json(), { detail: 'Not found.' })
      }
      const revoke = await post(app, `/api/v1/auth/sessions/${web.session_id}/revoke/`, {}, bearer(mallory.access))
      t.equal(revoke.statusCode, 404)
      t.same(revoke.json(), { detail: 'Not found.' })
      t.equal((await get(app, '/api/user/', web.access)).statusCode, 200, 'nothing was revoked')
    })

    t.test('last_activity moves on refresh', async (t) => {
      const before = await app.db.selectFrom('sessions').select('last_activity').where('id', '=', web.session_id).executeTakeFirstOrThrow()
      await new Promise((r) => setTimeout(r, 5))
      const res = await post(app, '/api/token/refresh/', { refresh: web.refresh })
      t.equal(res.statusCode, 200)
      const after = await app.db.selectFrom('sessions').select('last_activity').where('id', '=', web.session_id).executeTakeFirstOrThrow()
      t.ok(after.last_activity > before.last_activity)
    })

    t.test('revoke_all keeps the current session when asked', async (t) => {
      const extra = await login(app, 'carol')
      const res = await post(app, '/api/v1/auth/sessions/revoke_all/', { keep_current: true }, bearer(extra.access))
      t.equal(res.statusCode, 200)
      t.same(res.json(), { message: 'Revoked 2 session(s)', revoked_sessions: 2 })
      t.equal((await get(app, '/api/user/', extra.access)).statusCode, 200)
      t.equal((await get(app, '/api/user/', bot.access)).statusCode, 401)
    })

    t.test('logout/all/ ends every session and counts them', async (t) => {
      const a = await login(app, 'carol')
      const b = await login(app, 'carol')
      const res = await post(app, '/api/v1/auth/logout/all/', undefined, bearer(a.access))
      t.equal(res.statusCode, 200)
      // the session kept above, a and b
      t.same(res.json(), { message: 'Logged out from 3 device(s)', revoked_sessions: 3 })
      for (const pair of [a, b]) {
        t.equal((await get(app, '/api/user/', pair.access)).statusCode, 401)
        t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 401)
      }
      const again = await login(app, 'carol')
      const zero = await post(app, '/api/v1/auth/sessions/revoke_all/', { keep_current: true }, bearer(again.access))
      t.same(zero.json(), { message: 'Revoked 0 session(s)', revoked_sessions: 0 })
    })

    t.test('the session-aware logouts', async (t) => {
      const a = await login(app, 'carol')
      const res = await post(app, '/api/v1/auth/logout/', { refresh: a.refresh })
      t.equal(res.statusCode, 200)
      t.same(res.json(), { message: 'Logout successful', detail: 'Session revoked and token blacklisted' })
      t.equal((await get(app, '/api/user/', a.access)).statusCode, 401)

      const b = await login(app, 'carol')
      const other = await login(app, 'mallory')
      const refused = await post(app, '/api/users/auth/logout/', { refresh: other.refresh }, bearer(b.access))
      t.equal(refused.statusCode, 401)
      t.match(refused.json(), { code: 'token_not_valid' })
      t.equal((await post(app, '/api/token/refresh/', { refresh: other.refresh })).statusCode, 200, "mallory's session lives on")
      const ok = await post(app, '/api/users/auth/logout/', { refresh: b.refresh }, bearer(b.access))
      t.equal(ok.statusCode, 200)
      t.same(ok.json(), { detail: 'Logged out successfully.' })
      t.equal((await get(app, '/api/user/', b.access)).statusCode, 401)
      const noAuth = await post(app, '/api/users/auth/logout/', { refresh: b.refresh })
      t.equal(noAuth.statusCode, 401)
    })
  })
}
