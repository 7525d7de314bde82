// The real server process: configuration at start, the first-run hint, real HTTP, and a
// clean exit on SIGTERM.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { request as httpRequest } from 'node:http'
import t, { type Test } from 'tap'
import { sqlitePath } from '../store/connect.js'
import { ChildTracker, childEnv, type Exit, type Running } from './child-processes.js'
import { freshStore, stores, type StoreName } from './helper.js'

t.setTimeout(240_000)

const LOW_ARGON2 = { KEYTURN_ARGON2_MEMORY_KIB: '1024', KEYTURN_ARGON2_TIME_COST: '1' }
const START_MS = 60_000
const PASSWORD = 'server test password'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-server-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function stop(server: Running, ms: number): Promise<Exit & { elapsed: number }> {
  const started = Date.now()
  server.child.kill('SIGTERM')
  const exit = await within(server.exited, ms, 'exit after SIGTERM')
  return { ...exit, elapsed: Date.now() - started }
}

// The environment of a server in `dir`: no signing key, NODE_ENV unset (development).
function serverEnv(dir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return childEnv({
    HOST: '127.0.0.1',
    PORT: String(port),
    KEYTURN_DATABASE_URL: `sqlite:${join(dir, 'keyturn.sqlite')}`,
    KEYTURN_DATA_DIR: dir,
    ...LOW_ARGON2,
    ...extra,
  })
}

t.test('node --import tsx server.ts starts from source as it is', async (t) => {
  const procs = new ChildTracker(t)
  const dir = tempDir(t)
  const server = procs.start('server.ts', [], serverEnv(dir, await freePort()))
  await t.resolves(server.waitFor(/Server listening at/, START_MS), 'it listens')
  if (server.child.exitCode === null) {
    const exit = await stop(server, 10_000)
    t.equal(exit.code, 0)
  } else {
    t.comment(server.stdout() + server.stderr())
  }
})

t.test('first start, login over HTTP, restart, SIGTERM', async (t) => {
  const procs = new ChildTracker(t)
  const dir = tempDir(t)
  const env = serverEnv(dir, await freePort())
  const base = `http://127.0.0.1:${env.PORT}`

  const first = procs.start('server.ts', [], env)
  await first.waitFor(/Server listening at/, START_MS)
  t.match(first.stdout(), new RegExp(`Server listening at http://127\\.0\\.0\\.1:${env.PORT}`))
  t.match(first.stdout(), /No users yet.*keyturn createuser/, 'the log says how to create the first user')

  const keyFile = join(dir, 'signing.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'a development key was made, readable by its owner only')
  const key = readFileSync(keyFile, 'utf8').trim()
  t.match(first.stdout(), /KEYTURN_SIGNING_KEY is not set/, 'the generated key is announced')
  t.notOk((first.stdout() + first.stderr()).includes(key), 'but not logged')

  const created = await procs.run('cli.ts', ['createuser', '--username', 'alice', '--email', 'alice@example.com', '--password-stdin'], env, `${PASSWORD}\n`)
  t.equal(created.code, 0, created.stderr)

  const res = await fetch(`${base}/api/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  })
  t.equal(res.status, 200)
  const pair = (await res.json()) as { access?: unknown; refresh?: unknown; username?: unknown }
  t.match(pair, { access: /^[\w-]+\.[\w-]+\.[\w-]+$/, refresh: /^[\w-]+\.[\w-]+\.[\w-]+$/, username: 'alice' })
  t.notOk(first.stdout().includes(PASSWORD), 'the password is not logged')

  const exit = await stop(first, 5_000)
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exits 0 on SIGTERM (in ${exit.elapsed} ms)`)

  // A restart keeps the development key (tokens stay valid) and, with a user, no hint.
  const second = procs.start('server.ts', [], env)
  await second.waitFor(/Server listening at/, START_MS)
  t.notMatch(second.stdout(), /No users yet/)
  t.notMatch(second.stdout(), /generated a development key/)
  t.equal(readFileSync(keyFile, 'utf8').trim(), key)
  const verified = await fetch(`${base}/api/token/verify/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: pair.access }),
  })
  t.equal(verified.status, 200, 'a token of the first run verifies after the restart')
  const again = await stop(second, 5_000)
  t.same({ code: again.code, signal: again.signal }, { code: 0, signal: null })
})

t.test('refuses to start with a clear message', async (t) => {
  const procs = new ChildTracker(t)
  const cases: [string, Record<string, string>, RegExp][] = [
    ['NODE_ENV=production without KEYTURN_SIGNING_KEY', { NODE_ENV: 'production' }, /KEYTURN_SIGNING_KEY/],
    ['PORT=abc', { PORT: 'abc' }, /\bPORT\b/],
    ['a bad lifetime', { KEYTURN_ACCESS_TOKEN_LIFETIME: '15 minutes' }, /KEYTURN_ACCESS_TOKEN_LIFETIME/],
  ]
  const runs = await Promise.all(
    cases.map(async ([, extra]) => {
      const dir = tempDir(t)
      const env = serverEnv(dir, await freePort(), extra)
      const server = procs.start('server.ts', [], env)
      server.child.stdin.end()
      const exit = await within(server.exited, START_MS, 'exit')
      return { dir, exit, stdout: server.stdout(), stderr: server.stderr() }
    }),
  )
  cases.forEach(([what, , message], i) => {
    const run = runs[i]
    if (!run) throw new Error('missing run')
    t.ok(run.exit.code !== null && run.exit.code !== 0, `${what}: exits non-zero (${run.exit.code}/${run.exit.signal})`)
    t.match(run.stderr, message, `${what}: stderr names the problem`)
    t.match(run.stderr, /^keyturn: /, `${what}: one keyturn: line`)
    t.notMatch(run.stderr, /\n\s+at /, `${what}: no stack trace`)
    t.notMatch(run.stdout, /Server listening/, `${what}: never listened`)
  })
  const production = runs[0]
  if (production) t.throws(() => statSync(join(production.dir, 'signing.key')), 'production does not make a key')
})

// The database URL for a server process on `store`: a SQLite file in `dir`, or a Postgres
// schema of its own that the test drops at teardown.
function storeFor(t: Test, store: StoreName, dir: string): string {
  if (store === 'sqlite') return `sqlite:${join(dir, 'keyturn.sqlite')}`
  const pgStore = freshStore('postgres')
  t.teardown(() => pgStore.cleanup())
  return pgStore.url
}

// Security catalogue 15: a logout is committed before its answer, so killing the process
// right after the 200 loses nothing. On SQLite with synchronous=NORMAL, the default.
for (const store of stores()) t.test(`catalogue 15: a logout survives kill -9 right after its answer (${store})`, async (t) => {
  const procs = new ChildTracker(t)
  const dir = tempDir(t)
  const env = serverEnv(dir, await freePort(), {
    KEYTURN_DATABASE_URL: storeFor(t, store, dir),
    KEYTURN_SIGNING_KEY: 'kill-9-test-key-0123456789abcdef0123456789',
  })
  const base = `http://127.0.0.1:${env.PORT}`
  const json = { 'content-type': 'application/json' }
  const created = await procs.run('cli.ts', ['createuser', '--username', 'kim', '--password-stdin'], env, `${PASSWORD}\n`)
  t.equal(created.code, 0, created.stderr)

  const first = procs.start('server.ts', [], env)
  await first.waitFor(/Server listening at/, START_MS)
  const login = await fetch(`${base}/api/token/`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'kim', password: PASSWORD }) })
  const pair = (await login.json()) as { access: string; refresh: string }
  const logout = await fetch(`${base}/api/logout/`, { method: 'POST', headers: json, body: JSON.stringify({ refresh: pair.refresh }) })
  first.child.kill('SIGKILL')
  t.equal(logout.status, 200)
  const killed = await within(first.exited, 5_000, 'exit after SIGKILL')
  t.equal(killed.signal, 'SIGKILL')

  const second = procs.start('server.ts', [], env)
  await second.waitFor(/Server listening at/, START_MS)
  const refresh = await fetch(`${base}/api/token/refresh/`, { method: 'POST', headers: json, body: JSON.stringify({ refresh: pair.refresh }) })
  t.equal(refresh.status, 401, 'the refresh token is still refused')
  const me = await fetch(`${base}/api/user/`, { headers: { authorization: `Bearer ${pair.access}` } })
  t.equal(me.status, 401, 'and so is the access token of that session')
  await stop(second, 5_000)
})

// Holds the store's write lock from outside the server until `release()`: its refreshes
// then wait in the store, in flight, for as long as the test needs.
async function holdWrites(store: StoreName, url: string): Promise<() => Promise<void>> {
  if (store === 'sqlite') {
    const holder = new SQLite(sqlitePath(url))
    holder.exec('BEGIN EXCLUSIVE')
    return async () => {
      holder.exec('ROLLBACK')
      holder.close()
    }
  }
  const schema = new URL(url).searchParams.get('schema') ?? 'public'
  const client = new pg.Client({ connectionString: process.env.KEYTURN_TEST_POSTGRES_URL })
  await client.connect()
  await client.query('BEGIN')
  await client.query(`LOCK TABLE "${schema}".refresh_tokens IN EXCLUSIVE MODE`)
  return async () => {
    await client.query('ROLLBACK')
    await client.end()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Security catalogue 24: SIGTERM while refreshes wait in the store. Each refresh completes
// or fails whole (a failed one leaves the old token valid, checked after a restart), a
// request that arrives while the server closes gets 503 (or no connection at all), and
// the process exits 0.
// `keepAlive`: the in-flight refreshes come over keep-alive connections (fetch), as from a
// proxy or a browser; otherwise each on a connection of its own that the client closes.
async function sigtermWithRefreshesInFlight(t: Test, store: StoreName, keepAlive: boolean): Promise<void> {
    const procs = new ChildTracker(t)
    const dir = tempDir(t)
    const database = storeFor(t, store, dir)
    const port = await freePort()
    const env = serverEnv(dir, port, {
      KEYTURN_DATABASE_URL: database,
      KEYTURN_SIGNING_KEY: 'sigterm-test-key-0123456789abcdef0123456789',
      KEYTURN_SQLITE_BUSY_TIMEOUT_MS: '10000',
    })
    const base = `http://127.0.0.1:${port}`
    const call = async (path: string, body: object) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: res.status, body: (await res.json()) as Record<string, string> }
    }
    const callOnce = (path: string, body: object) => postWithoutKeepAlive(port, path, body)
    const created = await procs.run('cli.ts', ['createuser', '--username', 'tess', '--password-stdin'], env, `${PASSWORD}\n`)
    t.equal(created.code, 0, created.stderr)

    const first = procs.start('server.ts', [], env)
    await first.waitFor(/Server listening at/, START_MS)
    const pairs: { refresh: string }[] = []
    for (let i = 0; i < 10; i++) pairs.push((await call('/api/token/', { username: 'tess', password: PASSWORD })).body as { refresh: string })

    const release = await holdWrites(store, database)
    const refreshes = pairs.map((pair) =>
      (keepAlive ? call : callOnce)('/api/token/refresh/', { refresh: pair.refresh }).then(
        (res) => ({ status: res.status, refresh: res.body.refresh, detail: res.body.detail }),
        (err: Error) => ({ status: 0, refresh: undefined, detail: err.message }),
      ),
    )
    await sleep(300)
    first.child.kill('SIGTERM')
    if (store === 'postgres') {
      // The event loop is free while Postgres holds the refreshes: the close has begun.
      await first.waitFor(/"msg":"closing"/, 5_000)
      const late = await fetch(`${base}/health/live`).then((r) => r.status, () => 'no connection')
      t.ok(late === 503 || late === 'no connection', `a new connection while closing: ${late}`)
    }
    await sleep(300)
    await release()

    const outcomes = await Promise.all(refreshes)
    const exit = await within(first.exited, 15_000, 'exit after SIGTERM')
    t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exits 0 ${first.stderr().slice(-300)}`)
    t.comment(`refresh outcomes: ${JSON.stringify(outcomes.map((o) => [o.status, o.detail]))}`)

    const second = procs.start('server.ts', [], env)
    await second.waitFor(/Server listening at/, START_MS)
    for (const [i, outcome] of outcomes.entries()) {
      const old = pairs[i]?.refresh ?? ''
      if (outcome.status === 200 && outcome.refresh !== undefined) {
        t.equal((await call('/api/token/refresh/', { refresh: outcome.refresh })).status, 200, `refresh ${i} completed: its successor works`)
        t.equal((await call('/api/token/refresh/', { refresh: old })).status, 401, `refresh ${i} completed: the old token is spent`)
      } else {
        t.equal((await call('/api/token/refresh/', { refresh: old })).status, 200, `refresh ${i} failed (${outcome.status}): the old token is still valid`)
      }
    }
    await stop(second, 5_000)
}

// A POST on a connection of its own, closed after the answer (Connection: close).
function postWithoutKeepAlive(port: number, path: string, body: object): Promise<{ status: number; body: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (d: string) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, string> }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

for (const store of stores()) {
  t.test(`catalogue 24: SIGTERM with refreshes in flight (${store})`, (t) => sigtermWithRefreshesInFlight(t, store, false))
  t.test(`catalogue 24: SIGTERM with refreshes in flight on keep-alive connections (${store})`, (t) => sigtermWithRefreshesInFlight(t, store, true))
}
