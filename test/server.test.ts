// The real server process: configuration at start, the first-run hint, real HTTP, and a
// clean exit on SIGTERM.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import t, { type Test } from 'tap'
import { sqlitePath } from '../plugins/infra/store/connect.js'
import { ChildTracker, childEnv, freePort, type Exit, type Running } from './child-processes.js'
import { freshStore, stores, UNAVAILABLE, type StoreName } from './helper.js'

t.setTimeout(240_000)

const LOW_ARGON2 = { KEYTURN_ARGON2_MEMORY_KIB: '1024', KEYTURN_ARGON2_TIME_COST: '1' }
const START_MS = 60_000
const PASSWORD = 'server test password'

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

  const created = await procs.run('cli/index.ts', ['createuser', '--username', 'alice', '--email', 'alice@example.com', '--password-stdin'], env, `${PASSWORD}\n`)
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
  const created = await procs.run('cli/index.ts', ['createuser', '--username', 'kim', '--password-stdin'], env, `${PASSWORD}\n`)
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

// Holds the store's write lock from outside the server until `release()`. On SQLite a write
// of the server then fails at once (SQLITE_BUSY, with the busy timeout of 0 that catalogue
// 24 runs with); on Postgres it waits in the store, and `blocked()` counts the server's
// queries waiting for this lock.
interface WriteLock {
  release(): Promise<void>
  blocked?: () => Promise<number>
}

// Released at teardown too, should the test end early.
async function holdWrites(t: Test, store: StoreName, url: string): Promise<WriteLock> {
  let released = false
  const once = (release: () => Promise<void>) => async () => {
    if (released) return
    released = true
    await release()
  }
  if (store === 'sqlite') {
    const holder = new SQLite(sqlitePath(url))
    holder.exec('BEGIN EXCLUSIVE')
    const release = once(async () => {
      holder.exec('ROLLBACK')
      holder.close()
    })
    t.teardown(release)
    return { release }
  }
  const schema = new URL(url).searchParams.get('schema') ?? 'public'
  const holder = new pg.Client({ connectionString: process.env.KEYTURN_TEST_POSTGRES_URL })
  // A second client: inside the holder's transaction pg_stat_activity is a frozen snapshot.
  const watcher = new pg.Client({ connectionString: process.env.KEYTURN_TEST_POSTGRES_URL })
  await Promise.all([holder.connect(), watcher.connect()])
  const { rows } = await holder.query<{ pid: number }>('select pg_backend_pid() as pid')
  const holderPid = rows[0]?.pid
  await holder.query('BEGIN')
  await holder.query(`LOCK TABLE "${schema}".refresh_tokens IN EXCLUSIVE MODE`)
  const release = once(async () => {
    await holder.query('ROLLBACK')
    await Promise.all([holder.end(), watcher.end()])
  })
  t.teardown(release)
  return {
    release,
    blocked: async () => {
      const res = await watcher.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [holderPid])
      return res.rows[0]?.n ?? 0
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(10)
  }
}

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

// A client connection that the test writes byte by byte: it can stop in the middle of a
// request (as a slow upload or a segmented packet does) and finish it later, and it reads
// each answer and sees when the server closes the connection.
class RawConnection {
  private received = Buffer.alloc(0)
  private ended = false
  private failure = ''
  private readonly listeners = new Set<() => void>()
  readonly closed: Promise<void>

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.notify()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.failure = err.code ?? err.message
    })
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true
        this.notify()
        resolve()
      }),
    )
  }

  // Rejects with the connect error (ECONNREFUSED once the server stopped listening).
  static open(port: number, t: Test): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port })
      t.teardown(() => socket.destroy())
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new RawConnection(socket))
      })
    })
  }

  send(text: string): void {
    this.socket.write(text)
  }

  // The next answer on the connection (Keyturn's answers all carry a Content-Length).
  answer(ms = 5_000): Promise<RawAnswer> {
    return within(
      new Promise<RawAnswer>((resolve, reject) => {
        const check = () => {
          const headEnd = this.received.indexOf('\r\n\r\n')
          if (headEnd !== -1) {
            const [statusLine = '', ...lines] = this.received.subarray(0, headEnd).toString('latin1').split('\r\n')
            const headers: Record<string, string> = {}
            for (const line of lines) {
              const colon = line.indexOf(':')
              headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
            }
            const end = headEnd + 4 + Number(headers['content-length'])
            if (this.received.length >= end) {
              const body = JSON.parse(this.received.subarray(headEnd + 4, end).toString('utf8')) as Record<string, unknown>
              this.received = this.received.subarray(end)
              this.listeners.delete(check)
              resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
              return
            }
          }
          if (this.ended) {
            this.listeners.delete(check)
            reject(new Error(`connection closed without an answer (${this.failure || 'by the server'})`))
          }
        }
        this.listeners.add(check)
        check()
      }),
      ms,
      'an answer',
    )
  }

  private notify(): void {
    for (const fn of this.listeners) fn()
  }
}

function refreshRequest(refresh: string, connection: 'keep-alive' | 'close'): string {
  const body = JSON.stringify({ refresh })
  return [
    'POST /api/token/refresh/ HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Connection: ${connection}`,
    '',
    body,
  ].join('\r\n')
}

const liveRequest = (tag: string) => `GET /health/live?${tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`

// An in-flight refresh's answer, or why there was none.
type Outcome = RawAnswer | { error: string }
const outcomeOf = (conn: RawConnection): Promise<Outcome> => conn.answer().catch((err: Error) => ({ error: err.message }))
const summary = (o: Outcome) => ('error' in o ? o.error : `${o.status} ${JSON.stringify(o.body.detail ?? Object.keys(o.body))}`)

// A refresh on a new connection while the server closes. The listener is closed a moment
// after the "closing" line (same turn of the event loop, but the server may be descheduled
// in between); a connection the kernel completed in that moment is reset without an answer
// when the listener closes, so the client tries again, until it is refused or answered.
// The test checks afterwards that the token it sent was not consumed.
async function refreshOnNewConnection(port: number, t: Test, refresh: string): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await RawConnection.open(port, t).then(
      async (conn): Promise<Outcome> => {
        conn.send(refreshRequest(refresh, 'close'))
        return outcomeOf(conn)
      },
      (err: NodeJS.ErrnoException): Outcome => ({ error: err.code ?? err.message }),
    )
    if (!('error' in outcome) || outcome.error === 'ECONNREFUSED' || attempt === 10) return outcome
    t.comment(`a new connection while closing, attempt ${attempt}: ${outcome.error}`)
    await sleep(10)
  }
}

// At debug, the access log writes this once a request is routed, in an onRequest hook after
// drain's in the same turn: once the test reads it, the request is past drain's check, in flight.
const ROUTED_REFRESH = /"route":"\/api\/token\/refresh\/"[^\n]*"msg":"incoming request"/g
const IN_FLIGHT = 8

// Security catalogue 24: SIGTERM with refreshes in flight. Each completes or fails whole (a
// failed one leaves the old token valid, checked after a restart), a request that arrives
// while the server closes gets the contract's 503, and the process exits 0.
//
// The refreshes are in flight because their bodies are still arriving: each client sent
// the headers and part of the body before SIGTERM and sends the rest once the close has
// begun, so the event loop stays free throughout (a SQLite lock would stall it:
// better-sqlite3 waits synchronously). Half of them finish their bodies while the test
// holds the store's write lock: on SQLite they fail at once (busy timeout 0) and must fail
// whole; on Postgres they wait in the store and complete when the lock goes. The other
// half finish with the store free and must complete: the close waits for them.
//
// `keepAlive`: each in-flight refresh comes on a keep-alive connection that already carried
// a request, as from a proxy's pool, and the server must let it go after the answer;
// otherwise each comes on a connection of its own that the client closes.
async function sigtermWithRefreshesInFlight(t: Test, store: StoreName, keepAlive: boolean): Promise<void> {
  const procs = new ChildTracker(t)
  const dir = tempDir(t)
  const database = storeFor(t, store, dir)
  const port = await freePort()
  const env = serverEnv(dir, port, {
    KEYTURN_DATABASE_URL: database,
    KEYTURN_SIGNING_KEY: 'sigterm-test-key-0123456789abcdef0123456789',
    KEYTURN_SQLITE_BUSY_TIMEOUT_MS: '0',
    // For the access log's "incoming request" lines (ROUTED_REFRESH).
    LOG_LEVEL: 'debug',
  })
  const base = `http://127.0.0.1:${port}`
  const call = async (path: string, body: object) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as Record<string, string> }
  }
  const created = await procs.run('cli/index.ts', ['createuser', '--username', 'tess', '--password-stdin'], env, `${PASSWORD}\n`)
  t.equal(created.code, 0, created.stderr)

  const first = procs.start('server.ts', [], env)
  await first.waitFor(/Server listening at/, START_MS)
  const tokens: string[] = []
  for (let i = 0; i < IN_FLIGHT + 2; i++) tokens.push((await call('/api/token/', { username: 'tess', password: PASSWORD })).body.refresh ?? '')
  const lateOnOpen = tokens[IN_FLIGHT] ?? ''
  const lateOnNew = tokens[IN_FLIGHT + 1] ?? ''

  // The in-flight refreshes: everything but the last bytes of each body.
  const warmUps: number[] = []
  const inFlight = await Promise.all(
    tokens.slice(0, IN_FLIGHT).map(async (refresh, i) => {
      const conn = await RawConnection.open(port, t)
      if (keepAlive) {
        conn.send(liveRequest(`pooled=${i}`))
        warmUps.push((await conn.answer()).status)
      }
      const request = refreshRequest(refresh, keepAlive ? 'keep-alive' : 'close')
      conn.send(request.slice(0, -10))
      return { refresh, conn, rest: request.slice(-10) }
    }),
  )
  // A keep-alive connection for a request that arrives while closing. Idle connections are
  // closed when the close begins, so a request can only reach the server on a connection
  // where it has begun: here the request line follows, in the same write, the request the
  // connection carried; the rest of the request comes once the close has begun.
  const pooled = await RawConnection.open(port, t)
  const late = refreshRequest(lateOnOpen, 'keep-alive')
  const requestLine = late.indexOf('\r\n') + 2
  pooled.send(liveRequest('pooled=late') + late.slice(0, requestLine))
  warmUps.push((await pooled.answer()).status)
  t.same(warmUps, Array(warmUps.length).fill(200), 'the keep-alive connections each carried a request')
  await waitUntil(() => (first.stdout().match(ROUTED_REFRESH) ?? []).length >= IN_FLIGHT, 5_000, 'the refreshes routed')

  first.child.kill('SIGTERM')
  await first.waitFor(/"msg":"closing"/, 5_000)

  // New requests while closing, both at once right after the close began, with the store
  // free: one let through would succeed (200).
  pooled.send(late.slice(requestLine))
  const [onOpen, onNew] = await Promise.all([outcomeOf(pooled), refreshOnNewConnection(port, t, lateOnNew)])
  t.match(onOpen, { status: 503, headers: { connection: 'close', 'retry-after': '1' } }, `a new request on an open keep-alive connection: ${summary(onOpen)}`)
  if ('body' in onOpen) t.same(onOpen.body, UNAVAILABLE, 'with the contract body')
  await within(pooled.closed, 2_000, 'the server closes that connection')
  t.ok(
    ('error' in onNew && onNew.error === 'ECONNREFUSED') || ('body' in onNew && onNew.status === 503 && JSON.stringify(onNew.body) === JSON.stringify(UNAVAILABLE)),
    `a new connection while closing: 503 with the contract body, or refused (${summary(onNew)})`,
  )
  // Slow clients: the rest of the bodies comes half a second into the close, well within
  // the grace delay (server.ts), which must not cut them off.
  await sleep(500)
  t.equal(first.child.exitCode, null, 'meanwhile the server waits for the refreshes in flight')

  const lock = await holdWrites(t, store, database)
  const underLock = inFlight.slice(0, IN_FLIGHT / 2)
  const afterLock = inFlight.slice(IN_FLIGHT / 2)
  for (const { conn, rest } of underLock) conn.send(rest)
  const underLockOutcomes = Promise.all(underLock.map(({ conn }) => outcomeOf(conn)))
  if (lock.blocked) {
    const blocked = lock.blocked
    await waitUntil(async () => (await blocked()) >= underLock.length, 5_000, 'the refreshes waiting for the lock')
  } else {
    await underLockOutcomes
  }
  await lock.release()
  for (const { conn, rest } of afterLock) conn.send(rest)
  const outcomes = [...(await underLockOutcomes), ...(await Promise.all(afterLock.map(({ conn }) => outcomeOf(conn))))]
  t.comment(`refresh outcomes: ${JSON.stringify(outcomes.map(summary))}`)
  const closedByServer = await Promise.all(inFlight.map(({ conn }) => within(conn.closed, 2_000, 'closed').then(() => true, () => false)))
  t.same(closedByServer, Array(IN_FLIGHT).fill(true), 'the server closes every connection after its answer')

  const exit = await within(first.exited, 5_000, 'exit after SIGTERM')
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exits 0 ${first.stderr().slice(-300)}`)

  for (const [i, outcome] of outcomes.entries()) {
    const completed = 'body' in outcome && outcome.status === 200 && typeof outcome.body.refresh === 'string' && typeof outcome.body.access === 'string'
    const failed = 'body' in outcome && outcome.status === 503 && JSON.stringify(outcome.body) === JSON.stringify(UNAVAILABLE)
    const whole = completed || failed
    t.ok(whole, `refresh ${i}: a new pair, or the contract's 503 (${summary(outcome)})`)
    if ('body' in outcome) t.equal(outcome.headers.connection, 'close', `refresh ${i}: answered with Connection: close`)
  }
  // With the store free, nothing may fail; under the lock, SQLite fails and Postgres waits.
  const expected = inFlight.map((_, i) => (i < underLock.length && store === 'sqlite' ? 503 : 200))
  t.same(outcomes.map((o) => ('status' in o ? o.status : o.error)), expected, `outcomes on ${store}`)

  const second = procs.start('server.ts', [], env)
  await second.waitFor(/Server listening at/, START_MS)
  for (const [i, outcome] of outcomes.entries()) {
    const old = inFlight[i]?.refresh ?? ''
    if ('body' in outcome && outcome.status === 200 && typeof outcome.body.refresh === 'string') {
      t.equal((await call('/api/token/refresh/', { refresh: outcome.body.refresh })).status, 200, `refresh ${i} completed: its successor works`)
      t.equal((await call('/api/token/refresh/', { refresh: old })).status, 401, `refresh ${i} completed: the old token is spent`)
    } else {
      t.equal((await call('/api/token/refresh/', { refresh: old })).status, 200, `refresh ${i} failed (${summary(outcome)}): the old token is still valid`)
    }
  }
  t.equal((await call('/api/token/refresh/', { refresh: lateOnOpen })).status, 200, 'the refresh refused on the open connection consumed nothing')
  t.equal((await call('/api/token/refresh/', { refresh: lateOnNew })).status, 200, 'nor did the one on a new connection')
  await stop(second, 5_000)
}

for (const store of stores()) {
  t.test(`catalogue 24: SIGTERM with refreshes in flight (${store})`, (t) => sigtermWithRefreshesInFlight(t, store, false))
  t.test(`catalogue 24: SIGTERM with refreshes in flight on keep-alive connections (${store})`, (t) => sigtermWithRefreshesInFlight(t, store, true))
}
