// The audit trail: every auth event leaves one row with time, user, session, address, user
// agent and outcome, never a secret; staff read their own client's rows through
// /api/v1/admin/audit/, superusers everyone's; a rate limit is recorded once per window.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { addClient } from '../../../../../plugins/accounts/accounts.js'
import { bearer, build, createUser, login, PASSWORD, post, stores } from '../../../../helper.js'

const UA = { 'user-agent': 'audit-test/1.0' }

interface AuditRow {
  id: number
  created_at: string
  event: string
  outcome: string
  user_id: number | null
  username: string | null
  client_id: number | null
  session_id: number | null
  actor_id: number | null
  ip_address: string | null
  user_agent: string | null
  detail: string | null
}

interface AuditPage {
  count: number
  next: string | null
  previous: string | null
  results: AuditRow[]
}

async function auditPage(app: FastifyInstance, token: string, query = ''): Promise<AuditPage> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/admin/audit/${query}`, headers: bearer(token) })
  if (res.statusCode !== 200) throw new Error(`audit list: ${res.statusCode} ${res.body}`)
  return res.json<AuditPage>()
}

for (const store of stores()) {
  t.test(`audit trail on ${store}`, async (t) => {
    const app = await build(t, { store, env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
    for (const name of ['Client A', 'Client B']) await addClient(app.db, name)
    const alice = await createUser(app, { username: 'alice', clientName: 'Client A' })
    const staffA = await createUser(app, { username: 'staff_a', clientName: 'Client A', isStaff: true })
    const bob = await createUser(app, { username: 'bob', clientName: 'Client B' })
    await createUser(app, { username: 'staff_b', clientName: 'Client B', isStaff: true })
    await createUser(app, { username: 'root', isSuperuser: true })
    const admin = await login(app, 'staff_a')
    const secrets: string[] = [PASSWORD, 'wrong-password-123', 'not-a-user-but-maybe-a-password']

    // A login, a failed one on a known account, one on an unknown name.
    const first = await app.inject({ method: 'POST', url: '/api/token/', headers: UA, payload: { username: 'alice', password: PASSWORD } })
    t.equal(first.statusCode, 200)
    const pair = first.json<{ access: string; refresh: string; session_id: number }>()
    t.equal((await post(app, '/api/token/', { username: 'alice', password: secrets[1] }, UA)).statusCode, 401)
    t.equal((await post(app, '/api/token/', { username: secrets[2], password: secrets[1] }, UA)).statusCode, 401)
    // A refresh, then a reuse of the rotated token, which ends the session.
    const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh }, UA)
    t.equal(refreshed.statusCode, 200)
    t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh }, UA)).statusCode, 401)
    // A logout on a second session, a revocation by the user, one by staff.
    const second = await login(app, 'alice')
    t.equal((await post(app, '/api/logout/', { refresh: second.refresh }, UA)).statusCode, 200)
    const third = await login(app, 'alice')
    const fourth = await login(app, 'alice')
    t.equal((await post(app, `/api/v1/auth/sessions/${third.session_id}/revoke/`, {}, bearer(fourth.access))).statusCode, 200)
    t.equal((await post(app, `/api/v1/admin/sessions/${fourth.session_id}/revoke/`, {}, bearer(admin.access))).statusCode, 200)
    const bobPair = await login(app, 'bob')
    secrets.push(pair.access, pair.refresh, second.refresh, bobPair.refresh, admin.access)

    const rows = (await auditPage(app, admin.access, '?limit=1000')).results
    const of = (event: string) => rows.filter((r) => r.event === event)

    t.test('each event is recorded with who, where and how it ended', async (t) => {
      const logins = of('login').filter((r) => r.session_id === pair.session_id)
      t.equal(logins.length, 1)
      t.match(logins[0], { outcome: 'success', user_id: alice.id, username: 'alice', client_id: alice.client_id, ip_address: '127.0.0.1', user_agent: 'audit-test/1.0' })
      t.match(of('login_failed'), [{ outcome: 'failure', user_id: alice.id, detail: 'invalid_credentials' }], 'the known account failure is staff A\'s to see')
      t.match(of('refresh'), [{ outcome: 'success', user_id: alice.id, session_id: pair.session_id }])
      t.match(of('refresh_reuse'), [{ outcome: 'failure', user_id: alice.id, session_id: pair.session_id }])
      t.match(of('logout'), [{ outcome: 'success', session_id: second.session_id, detail: 'logout' }])
      const revoked = of('session_revoked')
      t.match(revoked.find((r) => r.session_id === third.session_id), { actor_id: null, detail: 'revoked_by_user' })
      t.match(revoked.find((r) => r.session_id === fourth.session_id), { actor_id: staffA.id, detail: 'revoked_by_admin' })
      t.ok(rows.every((r) => !Number.isNaN(Date.parse(r.created_at))), 'times are ISO 8601')
      t.same(
        rows.map((r) => r.id),
        [...rows].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id).map((r) => r.id),
        'newest first',
      )
    })

    t.test('no row holds a password, a token or an unknown login name', async (t) => {
      const root = await login(app, 'root')
      const everything = JSON.stringify((await auditPage(app, root.access, '?limit=1000')).results)
      for (const secret of secrets) t.notOk(everything.includes(secret), 'absent from the trail')
      const unknown = (await auditPage(app, root.access, '?event=login_failed&limit=1000')).results.filter((r) => r.user_id === null)
      t.match(unknown, [{ outcome: 'failure', client_id: null, detail: 'invalid_credentials' }], 'the unknown-name failure is kept, nameless')
    })

    t.test('staff see their own client only; a superuser sees all; others get 403', async (t) => {
      t.ok(rows.every((r) => r.client_id === alice.client_id), 'staff A: client A only')
      t.notOk(rows.some((r) => r.user_id === bob.id))
      const staffB = await login(app, 'staff_b')
      const bRows = (await auditPage(app, staffB.access, '?limit=1000')).results
      t.ok(bRows.some((r) => r.user_id === bob.id && r.event === 'login'))
      t.notOk(bRows.some((r) => r.user_id === alice.id), 'staff B never sees client A')
      const root = await login(app, 'root')
      const all = (await auditPage(app, root.access, '?limit=1000')).results
      t.ok(all.some((r) => r.user_id === bob.id) && all.some((r) => r.user_id === alice.id), 'a superuser sees both')
      const denied = await app.inject({ method: 'GET', url: '/api/v1/admin/audit/', headers: bearer(bobPair.access) })
      t.equal(denied.statusCode, 403)
      t.equal((await app.inject({ method: 'GET', url: '/api/v1/admin/audit/' })).statusCode, 401)
    })

    t.test('filters and pagination', async (t) => {
      const byEvent = await auditPage(app, admin.access, '?event=refresh_reuse')
      t.equal(byEvent.count, 1)
      t.equal((await auditPage(app, admin.access, `?outcome=failure&user_id=${alice.id}`)).count, of('login_failed').length + of('refresh_reuse').length)
      t.equal((await auditPage(app, admin.access, `?session_id=${pair.session_id}`)).count, 3, 'login, refresh, reuse')
      t.equal((await auditPage(app, admin.access, '?ip_address=127.0.0.1')).count, rows.length)
      const future = new Date(Date.now() + 60_000).toISOString()
      t.equal((await auditPage(app, admin.access, `?since=${future}`)).count, 0)
      t.equal((await auditPage(app, admin.access, `?until=${future}`)).count, rows.length)
      const firstPage = await auditPage(app, admin.access, '?limit=2')
      t.equal(firstPage.results.length, 2)
      t.equal(firstPage.count, rows.length)
      t.match(firstPage.next, /limit=2&offset=2$/)
      t.equal(firstPage.previous, null)
      const bad = await app.inject({ method: 'GET', url: '/api/v1/admin/audit/?since=yesterday', headers: bearer(admin.access) })
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { since: [/^Datetime has wrong format/] })
      const badEvent = await app.inject({ method: 'GET', url: '/api/v1/admin/audit/?event=nope', headers: bearer(admin.access) })
      t.equal(badEvent.statusCode, 400)
    })
  })
}

t.test('a rate limit is recorded once per client and window, not per refused request', async (t) => {
  const app = await build(t, { env: { KEYTURN_VERIFY_RATE_LIMIT: '1', KEYTURN_LOGIN_FREE_FAILURES: '1', KEYTURN_LOGIN_MAX_BACKOFF: '10s' } })
  await createUser(app, { username: 'root', isSuperuser: true })
  const root = await login(app, 'root')
  for (let i = 0; i < 6; i++) await post(app, '/api/token/verify/', { token: 'x' })
  // The per-account backoff too: past the free failure, refused before hashing.
  await createUser(app, { username: 'eve' })
  for (let i = 0; i < 2; i++) t.equal((await post(app, '/api/token/', { username: 'eve', password: 'wrong' })).statusCode, 401)
  for (let i = 0; i < 3; i++) t.equal((await post(app, '/api/token/', { username: 'eve', password: 'wrong' })).statusCode, 429)
  // The rate-limit rows are written without holding up the 429: give them a moment.
  let limited: AuditRow[] = []
  for (let i = 0; i < 50 && limited.length < 2; i++) {
    limited = (await auditPage(app, root.access, '?event=rate_limited')).results
    if (limited.length < 2) await new Promise((r) => setTimeout(r, 20))
  }
  t.match(
    limited.map((r) => r.detail).sort(),
    ['/api/token/verify/', 'login_backoff'],
    'one row for the verify limit, one for the login backoff',
  )
  t.ok(limited.every((r) => r.outcome === 'failure' && r.ip_address === '127.0.0.1'))
})
