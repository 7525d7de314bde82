// Custom claims (fastify.keyturn.claims.add): called at login for both tokens, carried forward
// by refresh as SimpleJWT does (or called again with { onRefresh: true }); a hook that throws
// or breaks its word fails that login or refresh with a bare 500, and nothing is issued or
// written (security catalogue 33).
import t from 'tap'
import type { ClaimContext, KeyturnPlugin } from '../../../index.js'
import { buildLogged } from '../../logged-app.js'
import { build, claimsOf, createUser, login, post, stores, storeSnapshot } from '../../helper.js'

const SERVER_ERROR = { detail: 'A server error occurred.' }

for (const store of stores()) {
  t.test(`claims at login, carried forward by refresh (${store})`, async (t) => {
    const calls: ClaimContext[] = []
    const plugin: KeyturnPlugin = async (fastify) => {
      fastify.keyturn.claims.add(
        (ctx) => {
          calls.push(ctx)
          return { plan: ctx.user.isStaff ? 'staff' : 'basic', device: ctx.session.deviceName }
        },
        { names: ['plan', 'device'] },
      )
    }
    const app = await build(t, { store, plugins: [plugin] })
    const client = await app.accounts.addClient('Acme')
    await createUser(app, { username: 'dora', clientName: client.name, isStaff: true })
    const pair = await login(app, 'dora', undefined, { device_name: 'tablet' })
    t.match(claimsOf(pair.access), { plan: 'staff', device: 'tablet' })
    t.match(claimsOf(pair.refresh), { plan: 'staff', device: 'tablet' })
    t.same(calls.map((c) => c.tokenType).sort(), ['access', 'refresh'], 'called once for each token')
    t.match(calls[0], { grant: 'login', session: { id: null, deviceName: 'tablet' }, client: { id: client.id, name: 'Acme' }, user: { username: 'dora', isStaff: true } })

    calls.length = 0
    const next = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ access: string; refresh: string }>()
    t.equal(calls.length, 0, 'not called on refresh')
    t.match(claimsOf(next.access), { plan: 'staff', device: 'tablet' }, 'carried into the access token')
    t.match(claimsOf(next.refresh), { plan: 'staff', device: 'tablet' }, 'and the next refresh token')
    t.equal((await app.inject({ url: '/api/user/', headers: { authorization: `Bearer ${next.access}` } })).statusCode, 200)
  })

  t.test(`{ onRefresh: true } hooks run again on refresh (${store})`, async (t) => {
    let version = 1
    const plugin: KeyturnPlugin = async (fastify) => {
      fastify.keyturn.claims.add((ctx) => ({ version, grant: ctx.grant, sid_seen: ctx.session.id }), { names: ['version', 'grant', 'sid_seen'], onRefresh: true })
    }
    const app = await build(t, { store, plugins: [plugin] })
    await createUser(app, { username: 'ezra' })
    const pair = await login(app, 'ezra')
    t.match(claimsOf(pair.access), { version: 1, grant: 'login', sid_seen: null })
    version = 2
    const next = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ access: string; refresh: string }>()
    t.match(claimsOf(next.access), { version: 2, grant: 'refresh', sid_seen: pair.session_id })
    t.match(claimsOf(next.refresh), { version: 2 })
  })

  t.test(`catalogue 33: a claims hook that throws or breaks its word issues nothing and leaks nothing (${store})`, async (t) => {
    let mode: 'ok' | 'throw' | 'reserved' | 'unnamed' = 'ok'
    const plugin: KeyturnPlugin = async (fastify) => {
      fastify.keyturn.claims.add(
        () => {
          if (mode === 'throw') throw new Error('tier service unreachable at 10.0.0.7')
          if (mode === 'reserved') return { tier: 'x', user_id: 1 }
          if (mode === 'unnamed') return { tier: 'x', extra: 1 }
          return { tier: 'x' }
        },
        { names: ['tier'], onRefresh: true },
      )
    }
    const lines: string[] = []
    const app = await buildLogged(t, store, 'error', lines, {}, [plugin])
    await createUser(app, { username: 'finn' })
    const pair = await login(app, 'finn')
    for (const bad of ['throw', 'reserved', 'unnamed'] as const) {
      mode = bad
      const before = await storeSnapshot(app)
      const res = await post(app, '/api/token/', { username: 'finn', password: 'correct horse battery staple' })
      t.equal(res.statusCode, 500, `${bad}: login`)
      t.same(res.json(), SERVER_ERROR, `${bad}: no detail for the client`)
      const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
      t.equal(refreshed.statusCode, 500, `${bad}: refresh`)
      t.same(refreshed.json(), SERVER_ERROR)
      t.strictSame(await storeSnapshot(app), before, `${bad}: no session, token or revocation written`)
    }
    t.match(lines.join(''), /claims hook of .* failed/, 'the failure is in the log, with the plugin')
    mode = 'ok'
    t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 200, 'the refresh token was not consumed')
  })
}
