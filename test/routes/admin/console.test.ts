// The admin console over HTTP, on both stores: who gets in, what a sign-in is, tenant
// scoping, the actions, and security catalogue line 32 (CSRF, escaping, framing, non-staff,
// a revoked console session).
import t from 'tap'
import { bearer, build, createUser, login, PASSWORD, post, stores } from '../../helper.js'
import { ConsoleClient, rowIds, twoTenants } from './console-client.js'

const XSS_DEVICE = '<img src=x onerror=alert(1)>'
const XSS_AGENT = '<script>alert("agent")</script>'

for (const store of stores()) {
  t.test(`admin console (${store})`, async (t) => {
    const app = await build(t, { store })
    await twoTenants(app)
    const alice = await login(app, 'alice_a', PASSWORD, { client_type: 'mobile', device_name: 'Alice phone' })
    const bob = await login(app, 'bob_b', PASSWORD, { client_type: 'web', device_name: 'Bob laptop' })

    t.test('the sign-in page: a labelled form, strict headers', async (t) => {
      const browser = new ConsoleClient(app)
      const page = await browser.get('/admin/login')
      t.equal(page.statusCode, 200)
      t.match(page.headers['content-type'], /^text\/html/)
      t.match(page.body, /<label for="username">/)
      t.match(page.body, /<input id="password" name="password" type="password"/)
      const csp = String(page.headers['content-security-policy'])
      t.match(csp, /default-src 'self'/)
      t.match(csp, /frame-ancestors 'none'/)
      t.match(csp, /script-src 'none'/)
      t.notMatch(csp, /unsafe-inline/)
      t.equal(page.headers['x-frame-options'], 'DENY')
      t.notMatch(page.body, /<script/i, 'no script at all')
      const css = await browser.get('/admin/assets/console.css')
      t.equal(css.statusCode, 200, 'the stylesheet is served by Keyturn, without signing in')
      t.match(css.headers['content-type'], /^text\/css/)
    })

    t.test('signed out: every page sends to the sign-in, and a POST changes nothing', async (t) => {
      const browser = new ConsoleClient(app)
      const res = await browser.get('/admin/sessions?q=x')
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, '/admin/login?next=%2Fadmin%2Fsessions%3Fq%3Dx')
      await browser.get('/admin/login')
      const revoke = await browser.post(`/admin/sessions/${alice.session_id}/revoke`)
      t.equal(revoke.statusCode, 303)
      t.equal((await app.inject({ url: '/api/user/', headers: bearer(alice.access) })).statusCode, 200, 'the session lives')
    })

    t.test('a superuser signs in: the sign-in is an admin_console session, listed and revocable', async (t) => {
      const browser = new ConsoleClient(app)
      const res = await browser.signIn('root', PASSWORD)
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, '/admin/')
      const cookie = res.cookies.find((c) => c.name === 'keyturn_console')
      t.ok(cookie, 'a console cookie')
      t.match(cookie, { httpOnly: true, sameSite: 'Strict', path: '/admin' })
      const dashboard = await browser.get('/admin/')
      t.equal(dashboard.statusCode, 200)
      t.match(dashboard.body, /active sessions/)
      const rootToken = await login(app, 'root')
      const listed = await app.inject({ url: '/api/v1/admin/sessions/?client_type=admin_console', headers: bearer(rootToken.access) })
      const consoleSessions = listed.json<{ results: Array<{ id: number; username: string; device_name: string }> }>().results
      t.equal(consoleSessions.length, 1)
      t.match(consoleSessions[0], { username: 'root', device_name: 'Admin console' })
      const page = await browser.get('/admin/sessions')
      t.match(page.body, new RegExp(`data-session-id="${consoleSessions[0]?.id}" class="current"`), 'the current session is marked')
      t.match(page.body, /This session/)

      // Catalogue 32: a console session revoked from the API is out at its next request.
      const revoked = await post(app, `/api/v1/admin/sessions/${consoleSessions[0]?.id}/revoke/`, {}, bearer(rootToken.access))
      t.equal(revoked.statusCode, 200)
      const after = await browser.get('/admin/sessions')
      t.equal(after.statusCode, 303)
      t.match(after.headers.location, /^\/admin\/login/)
    })

    t.test('catalogue 32: a non-staff user cannot get in, and the trail says so', async (t) => {
      const browser = new ConsoleClient(app)
      const res = await browser.signIn('alice_a', PASSWORD)
      t.equal(res.statusCode, 403)
      t.match(res.body, /You do not have permission to perform this action\./)
      t.notOk(browser.cookies.has('keyturn_console'))
      const sessions = await app.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select('sessions.id').where('users.username', '=', 'alice_a').where('sessions.client_type', '=', 'admin_console').execute()
      t.equal(sessions.length, 0, 'no session opened')
      const failed = await app.db.selectFrom('audit_events').select(['event', 'detail']).where('event', '=', 'login_failed').where('detail', '=', 'not_staff').execute()
      t.equal(failed.length, 1)
      const wrong = await browser.signIn('root', 'not the password')
      t.equal(wrong.statusCode, 401)
      t.match(wrong.body, /No active account found with the given credentials/)
    })

    t.test('catalogue 32: a POST without the CSRF token (or with a forged one) changes nothing', async (t) => {
      const browser = new ConsoleClient(app)
      await browser.signIn('root', PASSWORD)
      await browser.get('/admin/sessions')
      for (const token of [null, 'forged-token', '']) {
        const res = await browser.post(`/admin/sessions/${bob.session_id}/revoke`, { _csrf: token })
        t.equal(res.statusCode, 403, `token ${JSON.stringify(token)}: refused`)
        t.match(res.body, /CSRF token missing or incorrect/)
      }
      t.equal((await app.inject({ url: '/api/user/', headers: bearer(bob.access) })).statusCode, 200, "bob's session lives")
      const deactivate = await browser.post('/admin/users/1/active', { _csrf: null, active: 'false' })
      t.equal(deactivate.statusCode, 403)
      // Another browser's token does not pass with this browser's secret.
      const other = new ConsoleClient(app)
      await other.get('/admin/login')
      const crossed = await browser.post(`/admin/sessions/${bob.session_id}/revoke`, { _csrf: other.csrf })
      t.equal(crossed.statusCode, 403)
      // A sign-in without the token opens no session either.
      const fresh = new ConsoleClient(app)
      const signIn = await fresh.post('/admin/login', { _csrf: null, username: 'root', password: PASSWORD })
      t.equal(signIn.statusCode, 403)
      t.notOk(fresh.cookies.has('keyturn_console'))
    })

    t.test('catalogue 32: device names and user agents holding HTML show as text', async (t) => {
      const evil = await app.inject({
        method: 'POST',
        url: '/api/token/',
        headers: { 'user-agent': XSS_AGENT },
        payload: { username: 'alice_a', password: PASSWORD, device_name: XSS_DEVICE, client_type: '<b>type</b>' },
      })
      const sessionId = evil.json<{ session_id: number }>().session_id
      const browser = new ConsoleClient(app)
      await browser.signIn('root', PASSWORD)
      for (const url of ['/admin/sessions', `/admin/sessions/${sessionId}`, `/admin/users/${evil.json<{ user_id: number }>().user_id}`, '/admin/sessions?q=onerror']) {
        const page = await browser.get(url)
        t.equal(page.statusCode, 200, url)
        t.notMatch(page.body, /<img src=x/i, `${url}: no img element`)
        t.notMatch(page.body, /<script>alert/i, `${url}: no script element`)
        t.notMatch(page.body, /<b>type<\/b>/, `${url}: no markup from the client type`)
      }
      const detail = await browser.get(`/admin/sessions/${sessionId}`)
      t.match(detail.body, /&lt;img src=x onerror=alert\(1\)&gt;/, 'the device name, escaped')
      t.match(detail.body, /&lt;script&gt;alert\(&quot;agent&quot;\)&lt;\/script&gt;/, 'the user agent, escaped')
      const searched = await browser.get(`/admin/sessions?q=${encodeURIComponent('"><script>alert(2)</script>')}`)
      t.notMatch(searched.body, /<script>alert\(2\)/, 'the search box echoes the term as text')
    })

    t.test('tenant scoping: staff of client A see and touch nothing of client B', async (t) => {
      const browser = new ConsoleClient(app)
      t.equal((await browser.signIn('staff_a', PASSWORD)).statusCode, 303)
      const sessions = await browser.get('/admin/sessions')
      const ids = rowIds(sessions.body, 'data-session-id')
      t.ok(ids.includes(alice.session_id), "A's session listed")
      t.notOk(ids.includes(bob.session_id), "B's session not listed")
      t.notMatch(sessions.body, /bob_b/)
      const users = await browser.get('/admin/users')
      t.notMatch(users.body, /bob_b/)
      t.notMatch(users.body, /root/, 'nor a superuser without a client')
      const bobId = (await app.db.selectFrom('users').select('id').where('username', '=', 'bob_b').executeTakeFirstOrThrow()).id
      t.equal((await browser.get(`/admin/sessions/${bob.session_id}`)).statusCode, 404)
      t.equal((await browser.get(`/admin/users/${bobId}`)).statusCode, 404)
      t.equal((await browser.get(`/admin/sessions?q=bob`)).body.includes('bob_b'), false)
      await browser.get('/admin/sessions')
      t.equal((await browser.post(`/admin/sessions/${bob.session_id}/revoke`)).statusCode, 404)
      await browser.get('/admin/users')
      t.equal((await browser.post(`/admin/users/${bobId}/active`, { active: 'false' })).statusCode, 404)
      t.equal((await app.inject({ url: '/api/user/', headers: bearer(bob.access) })).statusCode, 200, "B's session untouched")
      t.equal((await browser.get('/admin/clients')).statusCode, 403, 'clients are for superusers')
      const dashboard = await browser.get('/admin/')
      t.match(dashboard.body, /Client A/)
    })

    t.test('revoking a session: gone from the API within a second, and on the audit page', async (t) => {
      const phone = await login(app, 'alice_a', PASSWORD, { device_name: 'Stolen phone' })
      const browser = new ConsoleClient(app)
      await browser.signIn('staff_a', PASSWORD)
      const list = await browser.get('/admin/sessions?q=Stolen')
      t.same(rowIds(list.body, 'data-session-id'), [phone.session_id])
      const res = await browser.post(`/admin/sessions/${phone.session_id}/revoke`, { next: '/admin/sessions?q=Stolen' })
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, '/admin/sessions?q=Stolen&done=revoked')
      t.match((await browser.get(String(res.headers.location))).body, /Session revoked/)
      t.equal((await app.inject({ url: '/api/user/', headers: bearer(phone.access) })).statusCode, 401)
      const audit = await browser.get('/admin/audit?event=session_revoked')
      t.match(audit.body, new RegExp(`href="/admin/sessions/${phone.session_id}"`))
      t.match(audit.body, /revoked_by_admin/)
      const bySession = await browser.get(`/admin/audit?session_id=${phone.session_id}&since=2020-01-01T00:00`)
      t.match(bySession.body, /session_revoked/)
      t.notMatch(bySession.body, /data-audit-id="\d+">\s*<td[^>]*>[^<]*<time[^>]*>[^<]*<\/time><\/td>\s*<td[^>]*>refresh</, 'only that session')
      const future = await browser.get(`/admin/audit?session_id=${phone.session_id}&since=2999-01-01T00:00`)
      t.match(future.body, /No event matches these filters/)
    })

    t.test('users: deactivate, expire, log out everywhere after a confirmation', async (t) => {
      const target = await createUser(app, { username: 'carol_a', clientName: 'Client A' })
      const first = await login(app, 'carol_a')
      await login(app, 'carol_a')
      const browser = new ConsoleClient(app)
      await browser.signIn('staff_a', PASSWORD)
      const confirm = await browser.get(`/admin/users/${target.id}/logout-all`)
      t.match(confirm.body, /This ends <strong>2 active sessions<\/strong>/)
      const done = await browser.post(`/admin/users/${target.id}/logout-all`)
      t.equal(done.statusCode, 303)
      t.equal((await app.inject({ url: '/api/user/', headers: bearer(first.access) })).statusCode, 401)
      await browser.get(`/admin/users/${target.id}`)
      t.equal((await browser.post(`/admin/users/${target.id}/expiry`, { expires: '2020-01-01T00:00' })).statusCode, 303)
      t.equal((await post(app, '/api/token/', { username: 'carol_a', password: PASSWORD })).statusCode, 401, 'an expired account cannot log in')
      await browser.get(`/admin/users/${target.id}`)
      t.equal((await browser.post(`/admin/users/${target.id}/expiry`, { expires: '' })).statusCode, 303)
      t.equal((await browser.post(`/admin/users/${target.id}/active`, { active: 'false' })).statusCode, 303)
      t.equal((await post(app, '/api/token/', { username: 'carol_a', password: PASSWORD })).statusCode, 401, 'an inactive account cannot log in')
      await browser.get(`/admin/users/${target.id}`)
      t.equal((await browser.post(`/admin/users/${target.id}/active`, { active: 'true' })).statusCode, 303)
      t.equal((await post(app, '/api/token/', { username: 'carol_a', password: PASSWORD })).statusCode, 200)
      const rootId = (await app.db.selectFrom('users').select('id').where('username', '=', 'root').executeTakeFirstOrThrow()).id
      await app.db.updateTable('users').set({ client_id: (await app.db.selectFrom('clients').select('id').where('name', '=', 'Client A').executeTakeFirstOrThrow()).id }).where('id', '=', rootId).execute()
      t.equal((await browser.post(`/admin/users/${rootId}/active`, { active: 'false' })).statusCode, 403, "staff cannot change a superuser's account")
      await app.db.updateTable('users').set({ client_id: null }).where('id', '=', rootId).execute()
    })

    t.test('staff create users of their own client', async (t) => {
      const browser = new ConsoleClient(app)
      await browser.signIn('staff_a', PASSWORD)
      await browser.get('/admin/users')
      const res = await browser.post('/admin/users', { username: 'dave_a', email: 'dave@example.com', password: 'a long password', client_id: '999', is_staff: 'on' })
      t.equal(res.statusCode, 303)
      const dave = await app.db.selectFrom('users').innerJoin('clients', 'clients.id', 'users.client_id').select(['clients.name', 'users.is_staff']).where('username', '=', 'dave_a').executeTakeFirstOrThrow()
      t.same(dave, { name: 'Client A', is_staff: 0 }, 'in their client, not staff, whatever the form says')
      await browser.get('/admin/users')
      const taken = await browser.post('/admin/users', { username: 'dave_a', password: 'x' })
      t.equal(taken.statusCode, 400)
      t.match(taken.body, /already exists/)
    })

    t.test('an open redirect is not: next must be a console path', async (t) => {
      for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/api/user/']) {
        const browser = new ConsoleClient(app)
        await browser.get(`/admin/login?next=${encodeURIComponent(next)}`)
        const res = await browser.post('/admin/login', { username: 'root', password: PASSWORD, next })
        t.equal(res.headers.location, '/admin/', next)
      }
    })

    t.test('idle, then out; signing out ends the session', async (t) => {
      const browser = new ConsoleClient(app)
      await browser.signIn('root', PASSWORD)
      await browser.get('/admin/')
      const mine = await app.db.selectFrom('console_sessions').select('session_id').orderBy('session_id', 'desc').executeTakeFirstOrThrow()
      await app.db.updateTable('sessions').set({ last_activity: Date.now() - 31 * 60_000 }).where('id', '=', mine.session_id).execute()
      t.equal((await browser.get('/admin/')).statusCode, 303, 'idle past KEYTURN_CONSOLE_IDLE_TIMEOUT: signed out')

      const second = new ConsoleClient(app)
      await second.signIn('root', PASSWORD)
      await second.get('/admin/')
      const out = await second.post('/admin/logout')
      t.equal(out.statusCode, 303)
      t.equal(out.headers.location, '/admin/login')
      t.notOk(second.cookies.has('keyturn_console'), 'the cookie is cleared')
      const row = await app.db.selectFrom('console_sessions').innerJoin('sessions', 'sessions.id', 'console_sessions.session_id').select(['sessions.revoked_at', 'sessions.revoked_reason']).orderBy('session_id', 'desc').executeTakeFirstOrThrow()
      t.equal(row.revoked_reason, 'logout')
      t.not(row.revoked_at, null)
    })

    t.test('bad input: clear 4xx pages, never a 500', async (t) => {
      const browser = new ConsoleClient(app)
      await browser.signIn('root', PASSWORD)
      for (const url of ['/admin/sessions?cursor=not-a-cursor', '/admin/users?cursor=e30x', '/admin/audit?offset=-4', '/admin/audit?event=nope', '/admin/audit?since=yesterday', '/admin/sessions/abc', '/admin/users/99999999']) {
        const res = await browser.get(url)
        t.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`)
        t.match(res.headers['content-type'], /^text\/html/, `${url}: an HTML page`)
      }
      await browser.get('/admin/users/1')
      t.equal((await browser.post('/admin/users/1/expiry', { expires: 'soon' })).statusCode, 400)
    })
  })
}

t.test('the console cookie is Secure in production', async (t) => {
  const app = await build(t, { env: { NODE_ENV: 'production' } })
  t.equal(app.adminConsole.cookie.secure, true)
  await createUser(app, { username: 'root', isSuperuser: true, isStaff: true })
  const browser = new ConsoleClient(app)
  const res = await browser.signIn('root', PASSWORD)
  t.match(res.cookies.find((c) => c.name === 'keyturn_console'), { secure: true, httpOnly: true, sameSite: 'Strict' })
})

t.test('console sign-ins count toward the API login limits: one per-IP limit, one backoff per account', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '3' } })
  await createUser(app, { username: 'root', isSuperuser: true, isStaff: true })
  const browser = new ConsoleClient(app)
  t.equal((await browser.signIn('root', 'wrong')).statusCode, 401)
  t.equal((await post(app, '/api/token/', { username: 'root', password: 'wrong' })).statusCode, 401)
  t.equal((await browser.signIn('root', PASSWORD)).statusCode, 303)
  const throttled = await browser.signIn('root', PASSWORD)
  t.equal(throttled.statusCode, 429, 'the fourth attempt from this address, console or API, is refused')
  t.match(throttled.body, /Request was throttled/)
  t.ok(throttled.headers['retry-after'])
  t.equal((await post(app, '/api/token/', { username: 'root', password: PASSWORD })).statusCode, 429)
})
