// The two diagnostics routes: their exact bodies, and 401 without a token.
import t from 'tap'
import { bearer, build, createUser, login, stores } from '../../helper.js'

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' }

for (const store of stores()) {
  t.test(`diagnostics (${store})`, async (t) => {
    const app = await build(t, { store })
    const user = await createUser(app, { username: 'diag_user' })
    const pair = await login(app, 'diag_user')

    t.test('POST /api/test-auth/ names the caller', async (t) => {
      for (const url of ['/api/test-auth/', '/api/test-auth']) {
        const res = await app.inject({ method: 'POST', url, headers: bearer(pair.access) })
        t.equal(res.statusCode, 200, url)
        t.match(res.headers['content-type'], /^application\/json/)
        t.same(res.json(), { message: 'JWT authentication is working', authenticated: true, user: user.username }, url)
      }
      // A body, if any, is ignored.
      const withBody = await app.inject({
        method: 'POST',
        url: '/api/test-auth/',
        headers: bearer(pair.access),
        payload: { anything: 1 },
      })
      t.equal(withBody.statusCode, 200)
      t.same(withBody.json(), { message: 'JWT authentication is working', authenticated: true, user: 'diag_user' })
    })

    t.test('GET /api/protected-endpoint/', async (t) => {
      for (const url of ['/api/protected-endpoint/', '/api/protected-endpoint']) {
        const res = await app.inject({ method: 'GET', url, headers: bearer(pair.access) })
        t.equal(res.statusCode, 200, url)
        t.same(res.json(), { message: 'You have accessed a protected route!' }, url)
      }
    })

    t.test('401 without a token, or with a bad one', async (t) => {
      const routes = [
        { method: 'POST', url: '/api/test-auth/' },
        { method: 'GET', url: '/api/protected-endpoint/' },
      ] as const
      for (const route of routes) {
        const none = await app.inject(route)
        t.equal(none.statusCode, 401, route.url)
        t.same(none.json(), NOT_PROVIDED, route.url)
        t.equal(none.headers['www-authenticate'], 'Bearer realm="api"', route.url)

        const bad = await app.inject({ ...route, headers: bearer('not.a.token') })
        t.equal(bad.statusCode, 401, route.url)
        t.same(bad.json(), {
          detail: 'Given token not valid for any token type',
          code: 'token_not_valid',
          messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
        })
        t.equal(bad.headers['www-authenticate'], 'Bearer realm="api"', route.url)
      }
    })

    t.test('the other method is a 405', async (t) => {
      const getTestAuth = await app.inject({ method: 'GET', url: '/api/test-auth/', headers: bearer(pair.access) })
      t.equal(getTestAuth.statusCode, 405)
      t.same(getTestAuth.json(), { detail: 'Method "GET" not allowed.' })
      const postProtected = await app.inject({ method: 'POST', url: '/api/protected-endpoint/', headers: bearer(pair.access) })
      t.equal(postProtected.statusCode, 405)
      t.same(postProtected.json(), { detail: 'Method "POST" not allowed.' })
    })
  })
}
