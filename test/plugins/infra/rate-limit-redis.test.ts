// Limits shared through Redis hold across instances; with Redis down, logins still work
// (per-IP limits skipped, the backoff per instance). Runs when KEYTURN_TEST_REDIS_URL is set.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { build, createUser, post } from '../../helper.js'

const redisUrl = process.env.KEYTURN_TEST_REDIS_URL
const skip = redisUrl ? false : 'KEYTURN_TEST_REDIS_URL is not set'
const shared = () => ({ KEYTURN_REDIS_URL: redisUrl ?? '', KEYTURN_REDIS_PREFIX: `kt-test-${randomBytes(4).toString('hex')}:` })

t.test('the per-IP login limit holds across two instances', { skip }, async (t) => {
  const env = { ...shared(), KEYTURN_LOGIN_RATE_LIMIT: '3', KEYTURN_VERIFY_RATE_LIMIT: '3' }
  const a = await build(t, { env })
  const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env })
  await createUser(a, { username: 'hana' })
  const codes = []
  // Across instances and across the route's aliases alike (catalogue 20).
  const urls = ['/api/token/', '/api/login/', '/api/v1/auth/token/', '/api/auth/token/']
  for (const [i, app] of [a, b, a, b].entries()) codes.push((await post(app, urls[i] as string, { username: 'hana', password: 'wrong' })).statusCode)
  t.same(codes, [401, 401, 401, 429])
  // Another kind keeps its own budget in the same Redis.
  t.equal((await post(a, '/api/token/verify/', { token: 'x' })).statusCode, 401)
})

t.test('the per-account backoff holds across two instances', { skip }, async (t) => {
  const env = { ...shared(), KEYTURN_LOGIN_FREE_FAILURES: '2' }
  const a = await build(t, { env })
  const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env })
  await createUser(a, { username: 'ivan', password: 'right' })
  for (let i = 0; i < 3; i++) t.equal((await post(a, '/api/token/', { username: 'ivan', password: 'wrong' })).statusCode, 401)
  const res = await post(b, '/api/token/', { username: 'ivan', password: 'right' })
  t.equal(res.statusCode, 429, 'instance B makes the account wait too')
  t.ok(Number(res.headers['retry-after']) >= 1)
})

t.test('catalogue 21: a concurrent burst spread over two instances is throttled in Redis', { skip }, async (t) => {
  // Two stores: the backoff lives in Redis only, and two instances writing one SQLite file
  // from one process would wait on each other's write lock with the event loop blocked.
  const env = { ...shared(), KEYTURN_LOGIN_FREE_FAILURES: '3' }
  const a = await build(t, { env })
  const b = await build(t, { env })
  for (const app of [a, b]) await createUser(app, { username: 'jana', password: 'right' })
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i % 2 ? a : b, '/api/token/', { username: 'jana', password: `wrong ${i}` })))
  const codes = answers.map((r) => r.statusCode)
  t.equal(codes.filter((c) => c === 401).length, 4, codes.join(' '))
  t.equal(codes.filter((c) => c === 429).length, 26)
})

t.test('with Redis down, logins still work and the backoff holds per instance', async (t) => {
  // Nothing listens on port 1: every Redis command fails at once.
  const app = await build(t, { env: { KEYTURN_REDIS_URL: 'redis://127.0.0.1:1', KEYTURN_LOGIN_RATE_LIMIT: '2', KEYTURN_LOGIN_FREE_FAILURES: '2' } })
  await createUser(app, { username: 'jana', password: 'right' })
  t.equal((await post(app, '/api/token/', { username: 'jana', password: 'right' })).statusCode, 200)
  const codes = []
  for (let i = 0; i < 4; i++) codes.push((await post(app, '/api/token/', { username: 'jana', password: 'wrong' })).statusCode)
  t.same(codes, [401, 401, 401, 429], 'no 5xx; the per-IP limit is skipped, the backoff falls back to memory')
})
