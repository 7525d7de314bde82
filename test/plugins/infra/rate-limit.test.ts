// The contract's 429 on login: per client IP, with Retry-After; X-Forwarded-For cannot
// reset it unless a trusted proxy is configured.
import t from 'tap'
import { build, createUser, login, post } from '../../helper.js'

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

t.test('catalogue 20: the aliases of a route share one budget per address', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '3', KEYTURN_BLACKLIST_RATE_LIMIT: '2' } })
  await createUser(app, { username: 'frank' })
  const logins = ['/api/token/', '/api/login/', '/api/auth/token/', '/api/users/auth/login/', '/api/v1/auth/token']
  const codes = []
  for (const url of logins) codes.push((await post(app, url, { username: 'frank', password: 'wrong' })).statusCode)
  t.same(codes, [401, 401, 401, 429, 429])
  // Blacklist and the logouts are one kind: one budget across all of their URLs.
  const revokes = ['/api/token/blacklist/', '/api/logout/', '/api/v1/auth/logout/']
  const answers = []
  for (const url of revokes) answers.push((await post(app, url, { refresh: 'not a token' })).statusCode)
  t.same(answers, [401, 401, 429])
  // Kinds do not share: refresh still has its whole budget.
  t.equal((await post(app, '/api/token/refresh/', { refresh: 'not a token' })).statusCode, 401)
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

// Security catalogue 21: failures on one account from many addresses slow that account
// down, well before 100 failures, and the wait always ends.
t.test('per-account backoff across addresses', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_FREE_FAILURES: '3', KEYTURN_LOGIN_MAX_BACKOFF: '2s', KEYTURN_TRUST_PROXY: 'true' } })
  await createUser(app, { username: 'gina', password: 'right' })
  const attemptFrom = (ip: string, password: string, username = 'gina') =>
    post(app, '/api/token/', { username, password }, { 'x-forwarded-for': ip })
  for (let i = 0; i < 3; i++) t.equal((await attemptFrom(`198.51.100.${i}`, 'wrong')).statusCode, 401)
  t.equal((await attemptFrom('198.51.100.10', 'wrong')).statusCode, 401, 'the 4th failure is still answered, and starts the backoff')
  const throttled = await attemptFrom('198.51.100.11', 'right')
  t.equal(throttled.statusCode, 429, 'even the right password waits: the account is slowed, whoever asks')
  t.match(throttled.json(), { detail: /^Request was throttled\. Expected available in 1 seconds\.$/ })
  t.equal(throttled.headers['retry-after'], '1')
  t.equal((await attemptFrom('198.51.100.12', 'wrong', 'GINA')).statusCode, 429, 'the same account in other case')
  t.equal((await attemptFrom('198.51.100.13', 'wrong', 'someone-else')).statusCode, 401, 'other accounts are not slowed')
  // Unknown accounts are slowed alike, so the throttle does not reveal which exist.
  for (let i = 0; i < 4; i++) await attemptFrom('198.51.100.20', 'x', 'ghost')
  t.equal((await attemptFrom('198.51.100.21', 'x', 'ghost')).statusCode, 429)

  await new Promise((r) => setTimeout(r, 1100))
  t.equal((await attemptFrom('198.51.100.14', 'right')).statusCode, 200, 'the wait ends, and the real user gets in')
  t.equal((await attemptFrom('198.51.100.15', 'wrong')).statusCode, 401, 'a success cleared the count')
})

t.test('catalogue 21: a burst of concurrent wrong passwords from many addresses is throttled too', async (t) => {
  const app = await build(t, { env: { KEYTURN_LOGIN_FREE_FAILURES: '3', KEYTURN_LOGIN_MAX_BACKOFF: '2s', KEYTURN_TRUST_PROXY: 'true' } })
  await createUser(app, { username: 'burst', password: 'right' })
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => post(app, '/api/token/', { username: 'burst', password: `wrong ${i}` }, { 'x-forwarded-for': `203.0.113.${i}` })),
  )
  const codes = answers.map((r) => r.statusCode)
  // The free failures and the one that starts the backoff are hashed; every other one waits.
  t.equal(codes.filter((c) => c === 401).length, 4, codes.join(' '))
  t.equal(codes.filter((c) => c === 429).length, 26)
})

// Refresh, verify and blacklist (and the logouts) have per-IP limits of their own: each
// counts only its own requests, answers 429 with Retry-After and the rate-limit headers,
// and the refused request consumes nothing.
for (const [route, variable, body] of [
  ['/api/token/refresh/', 'KEYTURN_REFRESH_RATE_LIMIT', 'refresh'],
  ['/api/token/verify/', 'KEYTURN_VERIFY_RATE_LIMIT', 'token'],
  ['/api/token/blacklist/', 'KEYTURN_BLACKLIST_RATE_LIMIT', 'refresh'],
  ['/api/logout/', 'KEYTURN_BLACKLIST_RATE_LIMIT', 'refresh'],
] as const) {
  t.test(`catalogue 20: ${route}: the (N+1)th request in the window gets 429 (${variable})`, async (t) => {
    const app = await build(t, { env: { [variable]: '2' } })
    await createUser(app, { username: 'frank', password: 'pw' })
    const pair = await login(app, 'frank', 'pw')
    for (let i = 0; i < 2; i++) t.equal((await post(app, route, { [body]: 'not-a-token' })).statusCode, 401)
    const res = await post(app, route, { [body]: pair.refresh })
    t.equal(res.statusCode, 429)
    t.match(res.json(), { detail: /^Request was throttled\. Expected available in \d+ seconds\.$/ })
    t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After is set')
    t.equal(res.headers['x-ratelimit-limit'], '2')
    t.equal(res.headers['x-ratelimit-remaining'], '0')
    // Other routes keep their own budget, and the refused token was not consumed.
    const other = route === '/api/token/refresh/' ? '/api/token/verify/' : '/api/token/refresh/'
    t.equal((await post(app, other, { [other.includes('verify') ? 'token' : 'refresh']: pair.refresh })).statusCode, 200)
  })
}
