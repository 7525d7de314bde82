// The contract's 429 on login: per client IP, with Retry-After; X-Forwarded-For cannot
// reset it unless a trusted proxy is configured.
import t from 'tap'
import { build, createUser, post } from '../helper.js'

const attempt = (app: Awaited<ReturnType<typeof build>>, headers: Record<string, string> = {}) =>
  post(app, '/api/token/', { username: 'frank', password: 'wrong' }, headers)

t.test('the (N+1)th login attempt in the window is throttled', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '3' } })
  await createUser(app, { username: 'frank' })
  for (let i = 0; i < 3; i++) t.equal((await attempt(app, { 'x-forwarded-for': `10.0.0.${i}` })).statusCode, 401)
  const res = await attempt(app, { 'x-forwarded-for': '10.9.9.9' })
  t.equal(res.statusCode, 429)
  t.match(res.json(), { detail: /^Request was throttled\. Expected available in \d+ seconds\.$/ })
  t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After is set')
  t.equal(res.headers['x-ratelimit-limit'], '3')
  // Other routes are not limited by it.
  t.equal((await post(app, '/api/token/verify/', { token: 'x' })).statusCode, 401)
})

t.test('behind a trusted proxy, each client address has its own budget', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '2', KEYTURN_TRUST_PROXY: '127.0.0.1' } })
  await createUser(app, { username: 'frank' })
  for (const ip of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2']) {
    t.equal((await attempt(app, { 'x-forwarded-for': ip })).statusCode, 401, ip)
  }
  t.equal((await attempt(app, { 'x-forwarded-for': '203.0.113.1' })).statusCode, 429)
})

t.test('0 switches the limit off', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '0' } })
  for (let i = 0; i < 30; i++) t.equal((await attempt(app)).statusCode, 401)
})
