// Several instances on one store: a revocation made on one is honoured by the others within
// a second, without a store query per request (they poll the revocation log).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { updateAccount } from '../../auth/accounts.js'
import { bearer, build, createUser, login, post, stores } from '../helper.js'

const POLL = { KEYTURN_REVOCATION_POLL_MS: '500' }

async function msUntil401(app: FastifyInstance, access: string, limitMs: number): Promise<number> {
  const start = Date.now()
  while (Date.now() - start <= limitMs) {
    const res = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })
    if (res.statusCode === 401) return Date.now() - start
    await new Promise((r) => setTimeout(r, 20))
  }
  return Infinity
}

for (const store of stores()) {
  t.test(`two instances on one ${store} store`, async (t) => {
    const a = await build(t, { store, env: POLL })
    const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: POLL })
    await createUser(a, { username: 'dave' })

    t.test('a logout on A reaches B within one second', async (t) => {
      const pair = await login(a, 'dave')
      t.equal((await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)
      t.equal((await post(a, '/api/logout/', { refresh: pair.refresh })).statusCode, 200)
      const elapsed = await msUntil401(b, pair.access, 1000)
      t.ok(elapsed < 1000, `B refused the token after ${elapsed} ms`)
      const res = await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
      t.match(res.json(), { messages: [{ message: 'Token is blacklisted' }] })
    })

    t.test('a deactivation made by another process reaches both', async (t) => {
      const pair = await login(b, 'dave')
      await updateAccount(a.db, 'dave', { isActive: false })
      for (const app of [a, b]) t.ok((await msUntil401(app, pair.access, 1000)) < 1000)
      await updateAccount(a.db, 'dave', { isActive: true })
    })

    t.test('an instance started after the revocation refuses at once', async (t) => {
      const pair = await login(a, 'dave')
      t.equal((await post(b, '/api/v1/auth/logout/', { refresh: pair.refresh })).statusCode, 200)
      const c = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: POLL })
      const res = await c.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
      t.equal(res.statusCode, 401)
    })
  })
}
