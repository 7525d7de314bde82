// Staff of client A never see or touch anything of client B; superusers see both.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { bearer, build, createUser, login, post, stores } from '../../../helper.js'

const get = (app: FastifyInstance, url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) })

interface PageBody<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

for (const store of stores()) {
  t.test(`tenants (${store})`, async (t) => {
    const app = await build(t, { store })
    for (const name of ['Client A', 'Client B']) await app.db.insertInto('clients').values({ name, created_at: Date.now() }).execute()
    await createUser(app, { username: 'staff_a', clientName: 'Client A', isStaff: true })
    await createUser(app, { username: 'staff_b', clientName: 'Client B', isStaff: true })
    await createUser(app, { username: 'alice_a', clientName: 'Client A' })
    await createUser(app, { username: 'bob_b', clientName: 'Client B' })
    await createUser(app, { username: 'root', isSuperuser: true, isStaff: true })
    const staffA = await login(app, 'staff_a')
    const staffB = await login(app, 'staff_b')
    const aliceA = await login(app, 'alice_a', undefined, { client_type: 'mobile', device_name: 'Alice phone' })
    const bobB = await login(app, 'bob_b', undefined, { client_type: 'website', device_name: 'Bob laptop' })
    const root = await login(app, 'root')

    t.test('login and profile carry the client', async (t) => {
      const res = await post(app, '/api/token/', { username: 'alice_a', password: 'correct horse battery staple' })
      t.match(res.json(), { client_name: 'Client A', client_id: Number })
      t.match((await get(app, '/api/user/', aliceA.access)).json(), { client_name: 'Client A' })
      t.equal(app.tokens.decode(aliceA.access).client_id, res.json<{ client_id: number }>().client_id)
    })

    t.test('users list: own client for staff, all for superusers, 403 for others', async (t) => {
      const names = (body: PageBody<{ username: string }>) => body.results.map((u) => u.username).sort()
      t.same(names((await get(app, '/api/v1/auth/users/', staffA.access)).json()), ['alice_a', 'staff_a'])
      t.same(names((await get(app, '/api/v1/auth/users/', staffB.access)).json()), ['bob_b', 'staff_b'])
      t.same(names((await get(app, '/api/v1/auth/users/', root.access)).json()), ['alice_a', 'bob_b', 'root', 'staff_a', 'staff_b'])
      const denied = await get(app, '/api/v1/auth/users/', aliceA.access)
      t.equal(denied.statusCode, 403)
      t.same(denied.json(), { detail: 'You do not have permission to perform this action.' })
    })

    t.test('users list paginates with absolute links', async (t) => {
      const first = (await get(app, '/api/v1/auth/users/?limit=2', root.access)).json<PageBody<unknown>>()
      t.equal(first.count, 5)
      t.equal(first.results.length, 2)
      t.equal(first.previous, null)
      t.match(first.next, /^http:\/\/localhost(:80)?\/api\/v1\/auth\/users\/\?limit=2&offset=2$/)
      const last = (await get(app, '/api/v1/auth/users/?limit=2&offset=4', root.access)).json<PageBody<unknown>>()
      t.equal(last.results.length, 1)
      t.equal(last.next, null)
      t.match(last.previous, /limit=2&offset=2$/)
      const bad = await get(app, '/api/v1/auth/users/?limit=abc', root.access)
      t.equal(bad.statusCode, 400)
    })

    t.test('?cursor=: keyset pages with next and previous links, no count', async (t) => {
      type CursorBody = { next: string | null; previous: string | null; results: Array<{ id: number; username?: string }>; count?: number }
      const follow = async (url: string) => (await get(app, url.replace(/^http:\/\/[^/]+/, ''), root.access)).json<CursorBody>()
      for (const path of ['/api/v1/auth/users/', '/api/v1/admin/sessions/']) {
        const byOffset = (await get(app, `${path}?limit=100`, root.access)).json<PageBody<{ id: number }>>().results.map((r) => r.id)
        const first = await follow(`${path}?cursor=&limit=2`)
        t.equal(first.count, undefined, `${path}: no count`)
        t.equal(first.previous, null)
        const seen = first.results.map((r) => r.id)
        let body = first
        while (body.next) {
          t.match(body.next, /^http:\/\/localhost(:80)?\/api\/v1\/.*cursor=[A-Za-z0-9_-]+/)
          body = await follow(body.next)
          seen.push(...body.results.map((r) => r.id))
        }
        t.same(seen, byOffset, `${path}: every row once, in the offset order`)
        t.ok(seen.length >= 5)
        const onLast = body.results.length
        const back = await follow(String(body.previous))
        t.same(back.results.map((r) => r.id), byOffset.slice(-onLast - 2, -onLast), `${path}: previous goes back a page`)
        const bad = await get(app, `${path}?cursor=nonsense`, root.access)
        t.equal(bad.statusCode, 404)
        t.same(bad.json(), { detail: 'Invalid cursor' })
      }
      const scoped = (await get(app, '/api/v1/admin/sessions/?cursor=', staffA.access)).json<CursorBody>()
      t.same([...new Set(scoped.results.map((r) => r.username))].sort(), ['alice_a', 'staff_a'], 'scoped as the offset pages are')
    })

    t.test('admin sessions: scoped, filtered, searchable', async (t) => {
      type Row = { id: number; username: string; client_type: string | null }
      const list = (token: string, query = '') => get(app, `/api/v1/admin/sessions/${query}`, token)
      const usernames = (body: PageBody<Row>) => [...new Set(body.results.map((s) => s.username))].sort()
      t.same(usernames((await list(staffA.access)).json()), ['alice_a', 'staff_a'])
      t.same(usernames((await list(staffB.access)).json()), ['bob_b', 'staff_b'])
      t.same(usernames((await list(root.access)).json()), ['alice_a', 'bob_b', 'root', 'staff_a', 'staff_b'])
      t.same(usernames((await list(root.access, '?client_type=website')).json()), ['bob_b'])
      t.same(usernames((await list(root.access, '?q=ALICE')).json()), ['alice_a'])
      t.same(usernames((await list(root.access, '?q=laptop')).json()), ['bob_b'])
      t.same(usernames((await list(root.access, '?q=%25')).json()), [], 'a LIKE wildcard in q is literal')
      t.equal((await list(aliceA.access)).statusCode, 403)
    })

    t.test('admin revoke: never across clients', async (t) => {
      const other = await post(app, `/api/v1/admin/sessions/${bobB.session_id}/revoke/`, {}, bearer(staffA.access))
      t.equal(other.statusCode, 404)
      t.same(other.json(), { detail: 'Not found.' })
      t.equal((await get(app, '/api/user/', bobB.access)).statusCode, 200, "B's session untouched")
      const back = await post(app, `/api/v1/admin/sessions/${aliceA.session_id}/revoke/`, {}, bearer(staffB.access))
      t.equal(back.statusCode, 404)
      t.equal((await get(app, '/api/user/', aliceA.access)).statusCode, 200, "A's session untouched")

      const own = await post(app, `/api/v1/admin/sessions/${aliceA.session_id}/revoke/`, {}, bearer(staffA.access))
      t.equal(own.statusCode, 200)
      t.same(own.json(), { message: 'Session revoked', id: aliceA.session_id })
      t.equal((await get(app, '/api/user/', aliceA.access)).statusCode, 401)
      const inactive = (await get(app, '/api/v1/admin/sessions/?is_active=false', staffA.access)).json<PageBody<{ id: number }>>()
      t.same(inactive.results.map((s) => s.id), [aliceA.session_id])

      const bySuper = await post(app, `/api/v1/admin/sessions/${bobB.session_id}/revoke/`, {}, bearer(root.access))
      t.equal(bySuper.statusCode, 200)
      t.equal((await get(app, '/api/user/', bobB.access)).statusCode, 401)
    })

    t.test('an expired account stops working at once', async (t) => {
      await createUser(app, { username: 'temp', clientName: 'Client A' })
      const temp = await login(app, 'temp')
      const { updateAccount } = await import('../../../../plugins/accounts/accounts.js')
      await updateAccount(app.db, 'temp', { expiresAt: Date.now() - 1 })
      await app.revocations.sync(Date.now())
      const me = await get(app, '/api/user/', temp.access)
      t.equal(me.statusCode, 401)
      t.equal((await post(app, '/api/token/refresh/', { refresh: temp.refresh })).statusCode, 401)
      const again = await post(app, '/api/token/', { username: 'temp', password: 'correct horse battery staple' })
      t.equal(again.statusCode, 401)
    })
  })
}
