// `npm run bench:listings -- --url DATABASE_URL [--client NAME]`: how long the admin console's
// pages and the admin APIs behind them take on a store as large as you like. Seed it first
// (load tests only; one shared hash makes a million users take minutes, not days):
//   npx keyturn createclient --name "Big Corp"
//   echo pw | npx keyturn seed-users --count 1000000 --sessions 2000000 --shared-hash \
//     --client "Big Corp" --prefix big --password-stdin
// The script adds a superuser (and, with --client, a staff user of that client) with a
// random password, starts Keyturn on the store as `npm start` does, signs in to the API and
// the console, picks a real session's device, IP and username to search for, and times each
// page: its first answer (cold: the dashboard counts then) and the median and worst of the
// repeats. Each answer must come within --budget ms (300).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { NPM_START_NODE_ARGS } from './keyturn-process.js'
import { orUsage } from './options.js'
import { freePort, waitForHttp } from './processes.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

const USAGE = 'npm run bench:listings -- --url DATABASE_URL [--client NAME] [--repeats N] [--budget MS] [--output DIR]'
const { values: opts } = orUsage(
  () =>
    parseArgs({
      options: {
        url: { type: 'string' },
        client: { type: 'string' },
        repeats: { type: 'string', default: '5' },
        budget: { type: 'string', default: '300' },
        output: { type: 'string', default: join(ROOT, 'bench', 'results') },
        help: { type: 'boolean' },
      },
    }),
  USAGE,
)
if (opts.help) {
  console.log(USAGE)
  process.exit(0)
}
if (!opts.url) {
  console.error(`--url is required\n\n${USAGE}`)
  process.exit(2)
}
const databaseUrl = opts.url
const repeats = Number(opts.repeats)
const budget = Number(opts.budget)
const env = { ...process.env, KEYTURN_DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: process.env.NODE_ENV ?? 'development' }

// A user of our own with a password only this run knows (createuser, or changepassword when
// an earlier run made it).
function benchUser(username: string, flags: string[]): string {
  const password = randomBytes(12).toString('base64url')
  const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'keyturn.js'), ...args, '--password-stdin'], { cwd: ROOT, env, input: `${password}\n`, encoding: 'utf8' })
  const created = cli(['createuser', '--username', username, ...flags])
  if (created.status !== 0) {
    if (!/already exists/.test(created.stderr)) throw new Error(created.stderr)
    const changed = cli(['changepassword', '--username', username])
    if (changed.status !== 0) throw new Error(changed.stderr)
  }
  return password
}

interface Timing {
  what: string
  url: string
  status: number
  firstMs: number
  medianMs: number
  worstMs: number
}

async function timed(base: string, url: string, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  const res = await fetch(`${base}${url}`, { headers, redirect: 'manual' })
  await res.arrayBuffer()
  return { status: res.status, ms: performance.now() - started }
}

async function measure(base: string, what: string, url: string, headers: Record<string, string>): Promise<Timing> {
  const first = await timed(base, url, headers)
  const times: number[] = []
  for (let i = 0; i < repeats; i++) times.push((await timed(base, url, headers)).ms)
  times.sort((a, b) => a - b)
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { what, url, status: first.status, firstMs: round(first.ms), medianMs: round(times[Math.floor(times.length / 2)] ?? 0), worstMs: round(Math.max(first.ms, ...times)) }
}

async function apiToken(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { access: string }).access
}

// The console's cookies after signing in through its form, as a browser would.
async function consoleCookies(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/admin/login`)
  const csrfCookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? ''
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? ''
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, username, password }).toString(),
  })
  const session = res.headers.getSetCookie().find((c) => c.startsWith('keyturn_console='))?.split(';')[0]
  if (res.status !== 303 || !session) throw new Error(`console sign-in failed: ${res.status}`)
  return `${csrfCookie}; ${session}`
}

interface Sample {
  id: number
  user_id: number
  username: string
  device_name: string | null
  ip_address: string | null
  client_type: string | null
}

async function persona(base: string, who: string, username: string, password: string): Promise<Timing[]> {
  const api = { authorization: `Bearer ${await apiToken(base, username, password)}` }
  const browser = { cookie: await consoleCookies(base, username, password) }
  // A session from the middle of the listing, to search for its device, IP and user.
  const count = ((await (await fetch(`${base}/api/v1/admin/sessions/?limit=1`, { headers: api })).json()) as { count: number }).count
  const sample = ((await (await fetch(`${base}/api/v1/admin/sessions/?limit=1&offset=${Math.floor(count / 2)}`, { headers: api })).json()) as { results: Sample[] }).results[0]
  const users = ((await (await fetch(`${base}/api/v1/auth/users/?limit=1`, { headers: api })).json()) as { count: number }).count
  if (!sample) throw new Error('the store holds no session to search for: seed it first')
  const q = (value: string | null) => encodeURIComponent(value ?? '')
  const last = Buffer.from('{"r":1}').toString('base64url')
  const pages: Array<[string, string, Record<string, string>]> = [
    ['console: dashboard', '/admin/', browser],
    ['console: sessions, first page', '/admin/sessions', browser],
    ['console: sessions, last page', `/admin/sessions?cursor=${last}`, browser],
    ['console: sessions, search a device', `/admin/sessions?q=${q(sample.device_name)}`, browser],
    ['console: sessions, search a username', `/admin/sessions?q=${q(sample.username)}`, browser],
    ['console: sessions, search an IP', `/admin/sessions?q=${q(sample.ip_address)}`, browser],
    ['console: sessions, active only', '/admin/sessions?is_active=true', browser],
    ['console: sessions, one client type', `/admin/sessions?client_type=${q(sample.client_type)}`, browser],
    ['console: a session', `/admin/sessions/${sample.id}`, browser],
    ['console: users, first page', '/admin/users', browser],
    ['console: users, last page', `/admin/users?cursor=${last}`, browser],
    ['console: users, search', `/admin/users?q=${q(sample.username)}`, browser],
    ['console: a user', `/admin/users/${sample.user_id}`, browser],
    ['console: audit', '/admin/audit', browser],
    ['API: sessions, first page', '/api/v1/admin/sessions/?limit=20', api],
    ['API: sessions, last page (offset)', `/api/v1/admin/sessions/?limit=20&offset=${Math.max(0, count - 20)}`, api],
    ['API: sessions, last page (cursor)', `/api/v1/admin/sessions/?limit=20&cursor=${last}`, api],
    ['API: sessions, search a device', `/api/v1/admin/sessions/?limit=20&q=${q(sample.device_name)}`, api],
    ['API: sessions, search a username', `/api/v1/admin/sessions/?limit=20&q=${q(sample.username)}`, api],
    ['API: sessions, search an IP', `/api/v1/admin/sessions/?limit=20&q=${q(sample.ip_address)}`, api],
    ['API: users, first page', '/api/v1/auth/users/?limit=20', api],
    ['API: users, at 90 %', `/api/v1/auth/users/?limit=20&offset=${Math.floor(users * 0.9)}`, api],
    ['API: users, last page (offset)', `/api/v1/auth/users/?limit=20&offset=${Math.max(0, users - 20)}`, api],
    ['API: users, search', `/api/v1/auth/users/?limit=20&q=${q(sample.username)}`, api],
    ['API: audit, first page', '/api/v1/admin/audit/?limit=20', api],
  ]
  const timings: Timing[] = []
  for (const [what, url, headers] of pages) timings.push(await measure(base, `${who} ${what}`, url, headers))
  console.log(`${who}: ${count} sessions, ${users} users visible; searching for device "${sample.device_name}", IP ${sample.ip_address}, user ${sample.username}`)
  return timings
}

async function main(): Promise<void> {
  const rootPassword = benchUser('listings-root', ['--superuser'])
  const staffPassword = opts.client ? benchUser('listings-staff', ['--staff', '--client', opts.client]) : undefined
  const port = await freePort()
  const server: ChildProcess = spawn(process.execPath, [...NPM_START_NODE_ARGS, join(ROOT, 'bin', 'keyturn-server.cjs')], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: 'inherit' })
  process.on('exit', () => server.kill('SIGTERM'))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(`${base}/api/health/`, server)
  const timings = await persona(base, 'superuser', 'listings-root', rootPassword)
  if (staffPassword) timings.push(...(await persona(base, `staff of ${opts.client}`, 'listings-staff', staffPassword)))
  server.kill('SIGTERM')

  const width = Math.max(...timings.map((t) => t.what.length))
  console.log(`\n${'page'.padEnd(width)}  status   first  median   worst  (ms; budget ${budget})`)
  for (const t of timings) {
    const flag = t.worstMs > budget || t.status !== 200 ? '  OVER' : ''
    console.log(`${t.what.padEnd(width)}  ${String(t.status).padStart(6)}  ${String(t.firstMs).padStart(6)}  ${String(t.medianMs).padStart(6)}  ${String(t.worstMs).padStart(6)}${flag}`)
  }
  const over = timings.filter((t) => t.worstMs > budget || t.status !== 200)
  mkdirSync(opts.output as string, { recursive: true })
  const store = databaseUrl.startsWith('postgres') ? 'postgres' : 'sqlite'
  const file = join(opts.output as string, `listings-${store}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({ store, budgetMs: budget, repeats, at: new Date().toISOString(), timings }, null, 2))
  console.log(`\n${over.length === 0 ? `every page within ${budget} ms` : `${over.length} page(s) over ${budget} ms or failed`}; report: ${file}`)
  process.exitCode = over.length === 0 ? 0 : 1
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
