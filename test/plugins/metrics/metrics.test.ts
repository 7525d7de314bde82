// GET /metrics on its own listener, parsed with a Prometheus text parser: the counters move
// with logins, refreshes, reuse and revocations, no label holds a user, token or address,
// suspicious activity and webhook deliveries are counted, and a second instance's revocation
// lag histogram holds what it observed.
import type { FastifyInstance } from 'fastify'
import { createServer } from 'node:net'
import t, { type Test } from 'tap'
import { freePort } from '../../../bench/processes.js'
import { build, createUser, login, post, stores, PASSWORD } from '../../helper.js'
import { parsePrometheus, type MetricFamily } from './prometheus-parser.js'
import { outboxSettled, Receiver } from '../webhooks/receiver.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function withMetrics(t: Test, options: Parameters<typeof build>[1] = {}): Promise<FastifyInstance> {
  const port = await freePort()
  return build(t, { ...options, env: { KEYTURN_METRICS_PORT: String(port), ...options.env } })
}

async function scrape(t: Test, app: FastifyInstance): Promise<{ families: MetricFamily[]; text: string }> {
  const res = await fetch(`http://${app.metrics.address}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await res.text()
  return { families: parsePrometheus(text), text }
}

// The sum of the samples of that name whose labels include these (a counter's `_total`, a
// histogram's `_count` or `_bucket`); a name no sample has is an error, not a zero.
function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const samples = families.flatMap((f) => f.samples).filter((s) => s.name === name)
  if (samples.length === 0) throw new Error(`no sample named ${name}`)
  return samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + Number(s.value), 0)
}

const histogramCount = (families: MetricFamily[], name: string, labels: Record<string, string> = {}) => valueOf(families, `${name}_count`, labels)

for (const store of stores()) {
  t.test(`${store}: suspicious activity and webhook deliveries are counted`, async (t) => {
    const env = { KEYTURN_ROTATION_GRACE_SECONDS: '0', KEYTURN_LOGIN_FREE_FAILURES: '1', KEYTURN_WEBHOOK_ALLOW_PRIVATE: 'true', KEYTURN_WEBHOOK_POLL_MS: '50' }
    const app = await withMetrics(t, { store, env })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    await app.webhooks.create(null, { url: receiver.url, events: ['session.created'] })
    const user = await createUser(app)
    const before = (await scrape(t, app)).families

    const first = await login(app, user.username)
    // The same address and agent again: not a new device; another agent: a new one.
    await login(app, user.username)
    const other = await app.inject({ method: 'POST', url: '/api/token/', headers: { 'user-agent': 'Another Browser/1.0' }, payload: { username: user.username, password: PASSWORD } })
    t.equal(other.statusCode, 200)
    // One failure is free; the second puts the account into backoff.
    for (let i = 0; i < 2; i++) t.equal((await post(app, '/api/token/', { username: user.username, password: 'wrong' })).statusCode, 401)
    t.equal((await post(app, '/api/token/refresh/', { refresh: first.refresh })).statusCode, 200)
    t.equal((await post(app, '/api/token/refresh/', { refresh: first.refresh })).statusCode, 401)
    await receiver.until((got) => got.length === 3, 5000, 'three session.created')
    await outboxSettled(app.db)
    await sleep(50)
    const after = (await scrape(t, app)).families
    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels)
    t.equal(delta('keyturn_suspicious_activity_total', { kind: 'new_device' }), 2, 'the first login and the other agent')
    t.equal(delta('keyturn_suspicious_activity_total', { kind: 'login_backoff' }), 1)
    t.equal(delta('keyturn_suspicious_activity_total', { kind: 'reuse_detected' }), 1)
    t.equal(delta('keyturn_webhook_deliveries_total', { outcome: 'delivered' }), 3)
    t.equal(delta('keyturn_webhook_deliveries_total', { outcome: 'failed' }), 0)
    t.equal(histogramCount(after, 'keyturn_webhook_delivery_duration_seconds'), 3)
    t.equal(valueOf(after, 'keyturn_webhook_queue_depth'), 0)
  })
}

for (const store of stores()) {
  t.test(`${store}: the counters move with logins, refreshes, reuse and revocations`, async (t) => {
    const app = await withMetrics(t, { store, env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
    t.match(app.metrics.address, /^127\.0\.0\.1:\d+$/)
    const user = await createUser(app, { username: 'metered' })
    const before = (await scrape(t, app)).families

    const first = await login(app, user.username)
    const second = await login(app, user.username)
    t.equal((await post(app, '/api/token/', { username: user.username, password: 'wrong password' })).statusCode, 401)
    t.equal((await post(app, '/api/token/refresh/', { refresh: first.refresh })).statusCode, 200)
    // The rotated token again, past the (zero) reuse interval: a reuse, which ends the session.
    t.equal((await post(app, '/api/token/refresh/', { refresh: first.refresh })).statusCode, 401)
    t.equal((await post(app, '/api/logout/', { refresh: second.refresh })).statusCode, 200)
    // Events reach their handlers after the answers.
    await sleep(50)
    const { families: after, text } = await scrape(t, app)

    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels)
    t.equal(delta('keyturn_logins_total', { outcome: 'success' }), 2)
    t.equal(delta('keyturn_logins_total', { outcome: 'invalid_credentials' }), 1)
    t.equal(delta('keyturn_refreshes_total', { outcome: 'rotated' }), 1)
    t.equal(delta('keyturn_refreshes_total', { outcome: 'reuse_detected' }), 1)
    t.equal(delta('keyturn_refresh_reuse_detected_total'), 1)
    t.equal(delta('keyturn_sessions_revoked_total', { reason: 'reuse' }), 1)
    t.equal(delta('keyturn_sessions_revoked_total', { reason: 'logout' }), 1)

    const requests = (labels: Record<string, string>) => histogramCount(after, 'keyturn_http_request_duration_seconds', labels)
    t.equal(requests({ method: 'POST', route: '/api/token/', status_code: '200' }), 2)
    t.equal(requests({ method: 'POST', route: '/api/token/', status_code: '401' }), 1)
    t.equal(requests({ method: 'POST', route: '/api/token/refresh/', status_code: '401' }), 1)
    t.ok(histogramCount(after, 'keyturn_password_hash_duration_seconds') >= 3, 'hash durations')
    t.equal(valueOf(after, 'keyturn_password_hash_queue', { state: 'waiting' }), 0)
    // Two sessions began, both ended.
    t.equal(valueOf(after, 'keyturn_active_sessions'), 0)
    t.ok(valueOf(after, 'keyturn_revocation_poll_age_seconds') < 1, 'the revocation log was read within a second')
    t.ok(valueOf(after, 'process_resident_memory_bytes') > 0, "the process's own metrics")
    if (store === 'sqlite') t.ok(histogramCount(after, 'keyturn_sqlite_commit_batch_size') > 0, 'commit batches')
    else t.equal(valueOf(after, 'keyturn_store_pool_connections', { state: 'max' }), 10)

    // No label holds a user, a token or an address.
    for (const secret of [user.username, '127.0.0.1', first.refresh.split('.')[2] as string, PASSWORD]) {
      t.notOk(
        after.some((f) => f.samples.some((s) => Object.values(s.labels).some((v) => v.includes(secret)))),
        `no label holds ${secret.slice(0, 8)}`,
      )
    }
    t.notOk(text.includes(first.access), 'no token anywhere')
    // Never on the public port.
    t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
    const unmatched = histogramCount((await scrape(t, app)).families, 'keyturn_http_request_duration_seconds', { route: 'unmatched' })
    t.equal(unmatched, 1, 'a URL matching no route is "unmatched", not a series of its own')
  })

  // Two instances on one store: logouts on A reach B through the revocation log, at the
  // default poll; B's histogram holds each lag it observed, A's none (it applied its own at once).
  t.test(`${store}: a second instance's revocation lag histogram holds what it observed, p99 under 1 s`, async (t) => {
    const env = { KEYTURN_REVOCATION_POLL_MS: '500' }
    const a = await withMetrics(t, { store, env })
    const b = await withMetrics(t, { url: a.config.KEYTURN_DATABASE_URL, env })
    const user = await createUser(a)
    const pairs = []
    for (let i = 0; i < 20; i++) pairs.push(await login(a, user.username))
    const lagCount = async (app: FastifyInstance) => histogramCount((await scrape(t, app)).families, 'keyturn_revocation_lag_seconds')
    const bBefore = await lagCount(b)
    for (const pair of pairs) {
      t.equal((await post(a, '/api/logout/', { refresh: pair.refresh })).statusCode, 200)
      await sleep(37)
    }
    await sleep(1500)
    const { families } = await scrape(t, b)
    const count = histogramCount(families, 'keyturn_revocation_lag_seconds')
    t.equal(count - bBefore, 20, 'B observed each of the 20 logouts')
    const withinOneSecond = valueOf(families, 'keyturn_revocation_lag_seconds_bucket', { le: '1' })
    t.ok(withinOneSecond >= 0.99 * count, `p99 under 1 s (${withinOneSecond} of ${count} within 1 s)`)
    const buckets = families.flatMap((f) => f.samples).filter((s) => s.name === 'keyturn_revocation_lag_seconds_bucket')
    t.comment(`B's lag buckets: ${buckets.map((s) => `le ${s.labels.le}: ${s.value}`).join(', ')}`)
    t.equal(await lagCount(a), 0, "A's own revocations are no lag")
  })
}

t.test('a metrics port in use fails the start', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => holder.close())
  const port = (holder.address() as { port: number }).port
  await t.rejects(build(t, { env: { KEYTURN_METRICS_PORT: String(port) } }), { code: 'EADDRINUSE' })
})

t.test('KEYTURN_METRICS_PORT=0: no listener', async (t) => {
  const app = await build(t, { env: { KEYTURN_METRICS_PORT: '0' } })
  t.equal(app.metrics.address, null)
})

t.test('requests refused by a per-IP limit are counted by the limit', async (t) => {
  const app = await withMetrics(t, { env: { KEYTURN_LOGIN_RATE_LIMIT: '1' } })
  const user = await createUser(app)
  await login(app, user.username)
  t.equal((await post(app, '/api/token/', { username: user.username, password: PASSWORD })).statusCode, 429)
  t.equal(valueOf((await scrape(t, app)).families, 'keyturn_rate_limited_total', { kind: 'login' }), 1)
})

// Node's histogram holds the time between its samples, 100 ms apart; prom-client reported
// that, so an idle instance's loop read as 0.1 s late.
t.test('the event-loop delay gauges hold the delay, not the sampling interval, since the last scrape', async (t) => {
  const app = await withMetrics(t)
  const gauge = (families: MetricFamily[], statistic: string) => valueOf(families, `nodejs_eventloop_lag_${statistic}_seconds`)
  const statistics = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']
  await scrape(t, app)
  await sleep(450)
  const idle = await scrape(t, app)
  for (const statistic of statistics) {
    t.equal(idle.text.match(new RegExp(`^nodejs_eventloop_lag_${statistic}_seconds `, 'gm'))?.length, 1, `one ${statistic} gauge`)
  }
  t.ok(gauge(idle.families, 'min') < 0.09, `idle: the shortest delay is not the 0.1 s interval (${gauge(idle.families, 'min')})`)

  // The loop held for 300 ms: a sample fires at least 200 ms late (not the first one after
  // the scrape, which only starts the count again).
  await sleep(250)
  const until = performance.now() + 300
  while (performance.now() < until);
  await sleep(250)
  const blocked = (await scrape(t, app)).families
  t.ok(gauge(blocked, 'max') >= 0.2, `after 300 ms held: the longest delay is at least 0.2 s (${gauge(blocked, 'max')})`)

  await sleep(450)
  const after = (await scrape(t, app)).families
  t.ok(gauge(after, 'max') < gauge(blocked, 'max'), 'the next scrape starts afresh')
})
