import t from 'tap'
import { build, stores } from '../helper.js'

for (const store of stores()) {
  t.test(`health probes (${store})`, async (t) => {
    const app = await build(t, { store })
    const live = await app.inject({ method: 'GET', url: '/health/live' })
    t.equal(live.statusCode, 200)
    t.same(live.json(), { status: 'ok' })
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready' })

    // The store goes away under a running app: ready says so, live does not care.
    await app.db.destroy()
    const down = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(down.statusCode, 503)
    t.same(down.json(), { detail: 'Service temporarily unavailable, try again later.', code: 'service_unavailable' })
    t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
  })
}

t.test('API security headers, and CORS off by default', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/api/token/verify/', payload: { token: 'x' }, headers: { origin: 'https://evil.example' } })
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['x-frame-options'], 'DENY')
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers['strict-transport-security'], /^max-age=\d+/)
  // helmet's document-only policies stay off for JSON answers
  t.equal(res.headers['x-dns-prefetch-control'], undefined)
  t.equal(res.headers['cross-origin-opener-policy'], undefined)
  t.equal(res.headers['access-control-allow-origin'], undefined)
})

t.test('CORS for the configured origins only', async (t) => {
  const app = await build(t, { env: { KEYTURN_CORS_ORIGINS: 'https://app.example, https://admin.example' } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/token/',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')
  const other = await app.inject({ method: 'POST', url: '/api/token/verify/', payload: { token: 'x' }, headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})
