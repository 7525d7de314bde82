// Sessions end: at their absolute end (rotation never extends them), after an idle
// stretch when configured; and with no reuse interval a retried refresh is a reuse.
import t from 'tap'
import { bearer, build, createUser, login, post, stores } from '../../helper.js'

for (const store of stores()) {
  t.test(`session lifetimes (${store})`, async (t) => {
    t.test('rotation never extends a session past its absolute end', async (t) => {
      const app = await build(t, { store, env: { KEYTURN_SESSION_LIFETIME: '1h' } })
      await createUser(app, { username: 'erin' })
      const pair = await login(app, 'erin')
      const session = await app.db.selectFrom('sessions').selectAll().where('id', '=', pair.session_id).executeTakeFirstOrThrow()
      const refresh = app.tokens.decode(pair.refresh, 'refresh')
      t.equal(refresh.exp * 1000, Math.floor(session.expires_at / 1000) * 1000, 'the refresh token ends with the session')
      const next = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ refresh: string }>()
      t.ok(app.tokens.decode(next.refresh).exp <= refresh.exp)
      // The session's end passes: its tokens no longer refresh.
      await app.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('id', '=', pair.session_id).execute()
      const res = await post(app, '/api/token/refresh/', { refresh: next.refresh })
      t.equal(res.statusCode, 401)
      t.same(res.json(), { detail: 'Token is invalid or expired', code: 'token_not_valid' })
    })

    t.test('an idle session ends', async (t) => {
      const app = await build(t, { store, env: { KEYTURN_SESSION_IDLE_TIMEOUT: '1h' } })
      await createUser(app, { username: 'erin' })
      const pair = await login(app, 'erin')
      await app.db.updateTable('sessions').set({ last_activity: Date.now() - 3_600_001 }).where('id', '=', pair.session_id).execute()
      t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 401)
      const list = await app.inject({ method: 'GET', url: '/api/v1/auth/sessions/', headers: bearer(pair.access) })
      t.equal(list.json<{ is_active: boolean }[]>()[0]?.is_active, false)
    })

    t.test('with KEYTURN_ROTATION_GRACE_SECONDS=0 a retried refresh ends the session', async (t) => {
      const app = await build(t, { store, env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
      await createUser(app, { username: 'erin' })
      const pair = await login(app, 'erin')
      const first = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
      t.equal(first.statusCode, 200)
      t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 401)
      t.equal((await post(app, '/api/token/refresh/', { refresh: first.json<{ refresh: string }>().refresh })).statusCode, 401)
    })
  })
}
