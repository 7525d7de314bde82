// `npm run bench`: Keyturn against its ceilings, in the same run. Starts a bare Fastify
// server (B) and Keyturn on a fresh store side by side, seeds users with the real CLI, then
// drives each scenario with autocannon, interleaving ceiling and scenario runs. Every figure
// is a ratio to a ceiling measured just before it on the same machine, and the median of
// those ratios is the one reported.
import autocannon from 'autocannon'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { type BenchReport, type ScenarioResult, type Stats, writeReport, printTable, TARGETS } from './report.js'
import { UnexpectedLines } from './kept-log.js'
import { orUsage } from './options.js'
import { freePort, waitForHttp } from './processes.js'
import { SCENARIOS, type ScenarioContext } from './scenarios.js'
import { soak } from './soak.js'
import { printSoak, writeSoak } from './soak-report.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DIST = join(ROOT, 'dist')
const PASSWORD = 'load-test-password'
// The node flags `npm start` passes (package.json's start script), so that the bench runs
// Keyturn as users do.
const START_SCRIPT = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? ''
const NPM_START_NODE_ARGS = (/node ((?:--\S+ )*)bin\/keyturn-server\.cjs/.exec(START_SCRIPT)?.[1] ?? '').split(' ').filter(Boolean)

const USAGE = `npm run bench -- [--duration S] [--slice S] [--connections N] [--pipelining N] [--runs N]
                 [--scenarios ${SCENARIOS.map((s) => s.name).join(',')}] [--store sqlite|postgres]
                 [--postgres-url URL] [--users N] [--output DIR]
                 [--node-args=--cpu-prof,--cpu-prof-dir=DIR]  (flags for Keyturn's node)
                 [--set KEYTURN_SETTING=VALUE ...]  (Keyturn settings for the run)
                 [--soak-minutes N [--soak-rate R]]  (instead of the scenarios: R requests a
                                                      second for N minutes, memory sampled)`

const { values: opts } = orUsage(
  () =>
    parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        // Each timed run alternates ceiling and scenario in slices this long (see timedRun).
        slice: { type: 'string', default: '2' },
        connections: { type: 'string', default: '100' },
        pipelining: { type: 'string', default: '1' },
        runs: { type: 'string', default: '3' },
        scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
        store: { type: 'string', default: 'sqlite' },
        'postgres-url': { type: 'string', default: process.env.KEYTURN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
        users: { type: 'string', default: '200' },
        // More flags for Keyturn's node, after npm start's; e.g.
        // --node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof to profile Keyturn under load.
        'node-args': { type: 'string', default: '' },
        output: { type: 'string', default: join(ROOT, 'bench', 'results') },
        // A Keyturn setting for the run, e.g. --set KEYTURN_PG_POOL_SIZE=40 (repeatable).
        set: { type: 'string', multiple: true, default: [] },
        'soak-minutes': { type: 'string', default: '0' },
        'soak-rate': { type: 'string', default: '300' },
        help: { type: 'boolean' },
      },
    }),
  USAGE,
)
if (opts.help) {
  console.log(USAGE)
  process.exit(0)
}

const duration = Number(opts.duration)
const slice = Math.min(duration, Number(opts.slice))
if (!(slice > 0)) {
  console.error(`--slice must be a positive number of seconds\n\n${USAGE}`)
  process.exit(2)
}
const connections = Number(opts.connections)
const pipelining = Number(opts.pipelining)
const runs = Number(opts.runs)
const argon2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 }
const threadPoolSize = Math.max(2, availableParallelism())
const children: ChildProcess[] = []

function stop(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
}
process.on('exit', stop)
process.on('SIGINT', () => process.exit(130))

async function stopAndWait(): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null)
  const exited = running.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())))
  stop()
  await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
}

// Starts a child and resolves with the first line it prints that matches.
function startChild(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => ready.test(l))
      if (line) resolve({ child, line })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${out.slice(-2000)}`)))
  })
}

async function freshPostgresSchema(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `kt_bench_${randomBytes(4).toString('hex')}`
  const url = new URL(base)
  url.searchParams.set('schema', schema)
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    },
  }
}

// Linux keeps the peak RSS in VmHWM; writing 5 to clear_refs starts a new peak.
function resetPeakRss(pid: number): void {
  try {
    spawnSync('sh', ['-c', `echo 5 > /proc/${pid}/clear_refs`])
  } catch {
    // not Linux or not permitted: the peak then covers the whole run
  }
}

async function peakRssMb(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises')
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
}

// A timed run of a scenario and the ceiling run just before it.
interface RunPair {
  ceilingRps: number
  stats: Stats
  ratio: number
}

function statsOf(result: autocannon.Result): Stats {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  }
}

async function fire(url: string, requests: autocannon.Request[], seconds: number): Promise<Stats> {
  const result = await autocannon({ url, connections, pipelining, duration: seconds, requests })
  return statsOf(result)
}

// One timed run: `duration` seconds of the ceiling and as many of the scenario, alternating
// in slices of `slice` seconds, ceiling first. This machine's speed moves within seconds (B
// between 5 800 and 10 200 req/s from one 10 s run to the next), so ten seconds of one and
// then ten of the other compared two different machines; adjacent short slices see the same
// one, and the run's ratio is its scenario requests over its ceiling requests. Every slice
// opens its connections afresh, the ceiling's as well as Keyturn's.
async function timedRun(
  slices: number,
  sliceSeconds: number,
  ceiling: (seconds: number) => Promise<number>,
  scenario: (slice: number) => Promise<Stats>,
): Promise<RunPair> {
  let ceilingRequests = 0
  const parts: Stats[] = []
  for (let k = 0; k < slices; k++) {
    ceilingRequests += await ceiling(sliceSeconds)
    parts.push(await scenario(k))
  }
  const total = parts.reduce((n, p) => n + p.total, 0)
  const seconds = slices * sliceSeconds
  const stats: Stats = {
    rps: total / seconds,
    // A slice's median, the middle one; the worst slice's p99.
    p50: ([...parts].sort((a, b) => a.p50 - b.p50)[Math.floor(parts.length / 2)] as Stats).p50,
    p99: Math.max(...parts.map((p) => p.p99)),
    non2xx: parts.reduce((n, p) => n + p.non2xx, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    total,
  }
  const ceilingRps = ceilingRequests / seconds
  return { ceilingRps, stats, ratio: stats.rps / ceilingRps }
}

async function argon2Ceiling(seconds: number): Promise<number> {
  const out = spawnSync(
    process.execPath,
    [join(DIST, 'bench', 'argon2-ceiling.js'), String(connections), String(seconds), String(argon2.memoryCost), String(argon2.timeCost), String(argon2.parallelism)],
    // The thread pool Keyturn's launcher gives itself (bin/keyturn-server.cjs), like for like.
    { encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: String(threadPoolSize) } },
  )
  if (out.status !== 0) throw new Error(`argon2 ceiling failed: ${out.stderr}`)
  return (JSON.parse(out.stdout) as { rate: number }).rate
}

function settings(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const match = /^(KEYTURN_[A-Z0-9_]+)=(.*)$/.exec(pair)
    if (!match) throw new Error(`--set takes KEYTURN_SETTING=VALUE, not ${pair}`)
    out[match[1] as string] = match[2] as string
  }
  return out
}

async function main(): Promise<void> {
  const names = opts.scenarios.split(',').map((s) => s.trim())
  const chosen = SCENARIOS.filter((s) => names.includes(s.name))
  if (chosen.length === 0) throw new Error(`no known scenario in --scenarios ${opts.scenarios}`)
  const store = opts.store === 'postgres' ? 'postgres' : 'sqlite'
  const dataDir = mkdtempSync(join(tmpdir(), 'keyturn-bench-'))
  const pgSchema = store === 'postgres' ? await freshPostgresSchema(opts['postgres-url']) : undefined
  const databaseUrl = pgSchema?.url ?? `sqlite:${join(dataDir, 'keyturn.sqlite')}`
  const keyturnSettings = settings(opts.set)
  const freeMetricsPort = await freePort()
  // What a user gets by default (info logs with the access log, metrics on their listener),
  // in production, but for the per-IP limits, which the README tells load testers to lift.
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    // A port of its own rather than 9464, where another instance may be listening.
    KEYTURN_METRICS_PORT: String(freeMetricsPort),
    KEYTURN_SIGNING_KEY: randomBytes(48).toString('base64url'),
    KEYTURN_DATABASE_URL: databaseUrl,
    KEYTURN_DATA_DIR: dataDir,
    // One load generator is one address: the per-IP limits would measure themselves.
    KEYTURN_LOGIN_RATE_LIMIT: '0',
    KEYTURN_REFRESH_RATE_LIMIT: '0',
    KEYTURN_VERIFY_RATE_LIMIT: '0',
    KEYTURN_BLACKLIST_RATE_LIMIT: '0',
    ...keyturnSettings,
  }
  try {
    console.log(`seeding ${opts.users} users on ${store} ...`)
    const seed = spawnSync(process.execPath, [join(DIST, 'cli', 'index.js'), 'seed-users', '--count', opts.users, '--password-stdin'], {
      cwd: ROOT,
      env,
      input: PASSWORD,
      encoding: 'utf8',
    })
    if (seed.status !== 0) throw new Error(`seed-users failed: ${seed.stderr}`)
    const service = spawnSync(process.execPath, [join(DIST, 'cli', 'index.js'), 'createservice', '--name', 'bench'], { cwd: ROOT, env, encoding: 'utf8' })
    const clientId = /^client_id: (\S+)$/m.exec(service.stdout)?.[1]
    const clientSecret = /^client_secret: (\S+)$/m.exec(service.stdout)?.[1]
    if (service.status !== 0 || !clientId || !clientSecret) throw new Error(`createservice failed: ${service.stderr}`)
    const serviceAuthorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`

    const baseline = await startChild([join(DIST, 'bench', 'baseline-server.js')], { PATH: process.env.PATH }, /^\d+$/)
    const baselineUrl = `http://127.0.0.1:${baseline.line.trim()}`
    const port = await freePort()
    const nodeArgs = [...NPM_START_NODE_ARGS, ...opts['node-args'].split(',').filter(Boolean)]
    // Keyturn's log (a line per request) goes to a file, as a process manager would keep it;
    // its errors still reach this terminal.
    const logPath = join(dataDir, 'keyturn.log')
    const logFd = openSync(logPath, 'a')
    // Started as `npm start` starts it, through the launcher that sizes libuv's pool.
    const keyturn = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'keyturn-server.cjs')], {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', logFd, 'inherit'],
    })
    closeSync(logFd)
    children.push(keyturn)
    const keyturnUrl = `http://127.0.0.1:${port}`
    await waitForHttp(`${keyturnUrl}/health-check-404`, keyturn)
    const pid = keyturn.pid as number
    const context: ScenarioContext = { url: keyturnUrl, users: Number(opts.users), password: PASSWORD, connections, serviceAuthorization }
    console.log(`B at ${baselineUrl}, Keyturn at ${keyturnUrl} (pid ${pid}); ${runs} runs of ${duration}s, ${connections} connections`)

    // The settings the run ended up with (--set may have changed the defaults above).
    const settingsUsed: Record<string, string | undefined> = env
    const metricsPort = settingsUsed.KEYTURN_METRICS_PORT
    const soakMinutes = Number(opts['soak-minutes'])
    if (soakMinutes > 0) {
      if (metricsPort === undefined || metricsPort === '0') throw new Error('the soak reads the heap from /metrics: leave KEYTURN_METRICS_PORT on')
      console.log(`soak: ${opts['soak-rate']} requests a second for ${soakMinutes} min on ${store}`)
      const report = await soak({
        url: keyturnUrl,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        pid,
        minutes: soakMinutes,
        rate: Number(opts['soak-rate']),
        users: Number(opts.users),
        password: PASSWORD,
      })
      printSoak(report, store)
      console.log(`\nwritten: ${writeSoak(report, store, opts.output).join(', ')}`)
      return
    }

    const results: ScenarioResult[] = []
    for (const scenario of chosen) {
      const prepared = await scenario.prepare(context)
      const ceilingName = scenario.ceiling === 'argon2' ? 'argon2 verify' : 'B'
      const pairs: RunPair[] = []
      // One short warm-up each, so the JIT has settled before anything is counted.
      if (scenario.ceiling === 'B') await fire(baselineUrl, prepared.baselineRequests(), 2)
      await fire(keyturnUrl, await prepared.requests(), 2)
      let peakRss: number | null = null
      // Requests the ceiling completes in so many seconds.
      const ceiling = async (seconds: number) =>
        scenario.ceiling === 'argon2' ? (await argon2Ceiling(seconds)) * seconds : (await fire(baselineUrl, prepared.baselineRequests(), seconds)).total
      // Scenarios that hash passwords keep whole runs, as before the slices: their queued
      // hashes outlast a slice (scenarios.ts), and the argon2 ceiling, a process of its own
      // that starts its thread pool each time, lost a quarter of its figure to that start
      // over 2 s (login came out at 1.41 of it).
      const sliceSeconds = scenario.hashes ? duration : slice
      const slices = Math.max(1, Math.round(duration / sliceSeconds))
      for (let i = 0; i < runs; i++) {
        // Each slice its own requests: a slice ends with requests in flight, and a rotation
        // chain whose answer was cut off would present a spent token in the next slice.
        const sliceRequests: autocannon.Request[][] = []
        for (let k = 0; k < slices; k++) sliceRequests.push(await prepared.requests())
        // The peak is Keyturn's under the timed load at full concurrency: the tokens a run
        // consumes are minted before it (logins, eight at a time) and not counted; the login
        // and mixed scenarios measure hashing under load.
        resetPeakRss(pid)
        const pair = await timedRun(slices, sliceSeconds, ceiling, (k) => fire(keyturnUrl, sliceRequests[k] as autocannon.Request[], sliceSeconds))
        const runPeak = await peakRssMb(pid)
        if (runPeak !== null) peakRss = Math.max(peakRss ?? 0, runPeak)
        pairs.push(pair)
        const { stats, ceilingRps, ratio } = pair
        process.stdout.write(
          `  ${scenario.name} run ${i + 1}/${runs}: ${stats.rps.toFixed(0)} req/s, ${stats.non2xx} non-2xx, ${stats.errors} errors (${ceilingName} ${ceilingRps.toFixed(0)}, ratio ${ratio.toFixed(2)})\n`,
        )
      }
      // The machine's speed drifts over minutes (B moved between 15 000 and 41 000 req/s in
      // one day here), so each run is divided by the ceiling measured just before it, and the
      // run with the median of those ratios is the one shown: the table's req/s, ceiling and
      // ratio come from one pair, and the ratio does not mix moments minutes apart.
      const mid = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)] as RunPair
      results.push({
        scenario: scenario.name,
        description: scenario.description,
        ceilingName,
        ceilingRps: mid.ceilingRps,
        ...mid.stats,
        non2xx: pairs.reduce((n, p) => n + p.stats.non2xx, 0),
        errors: pairs.reduce((n, p) => n + p.stats.errors, 0),
        ratio: mid.ratio,
        target: TARGETS[store][scenario.name],
        peakRssMb: peakRss,
        runs: pairs.map((p) => ({ ceilingRps: Math.round(p.ceilingRps), rps: Math.round(p.stats.rps), ratio: Number(p.ratio.toFixed(3)) })),
      })
    }

    // What the run had on: the access log's lines, and a scrape of the metrics.
    const accessLog = settingsUsed.KEYTURN_ACCESS_LOG !== 'false'
    const metricsOn = metricsPort !== '0'
    // Line by line: a fast run's log outgrows the longest string V8 can hold (512 MB).
    let logLines = 0
    const unexpected = new UnexpectedLines()
    for await (const line of createInterface({ input: createReadStream(logPath), crlfDelay: Infinity })) {
      if (line.includes('"msg":"request"')) logLines++
      unexpected.add(line)
    }
    const scraped = metricsOn ? await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '') : ''
    const counted = /^keyturn_http_request_duration_seconds_count\{/m.test(scraped)
    console.log(
      `\nKeyturn's access log: ${logLines} lines (${(statSync(logPath).size / 2 ** 20).toFixed(0)} MB); ` +
        `metrics ${metricsOn ? (counted ? 'on, and the scrape counted the requests' : 'on, but the scrape FAILED') : 'off'}`,
    )

    const report: BenchReport = {
      date: new Date().toISOString(),
      store,
      machine: { cpus: (await import('node:os')).cpus().length, cpuModel: (await import('node:os')).cpus()[0]?.model ?? 'unknown', memoryGb: Math.round((await import('node:os')).totalmem() / 2 ** 30) },
      node: process.version,
      connections,
      pipelining,
      durationSeconds: duration,
      sliceSeconds: slice,
      runs,
      argon2,
      sqliteSynchronous: store === 'sqlite' ? 'NORMAL' : null,
      logLevel: 'info',
      accessLog,
      metrics: metricsOn,
      nodeArgs,
      settings: keyturnSettings,
      results,
    }
    printTable(report)
    const files = writeReport(report, opts.output)
    if (results.some((r) => r.non2xx > 0)) {
      const kept = (files[0] as string).replace(/\.json$/, '-non2xx.log')
      unexpected.write(kept)
      files.push(kept)
      console.log(`\nnon-2xx answers by route and status: ${JSON.stringify(unexpected.byRouteAndStatus)}`)
    }
    console.log(`\nwritten: ${files.join(', ')}`)
  } finally {
    // Keyturn goes before its schema does: dropped under it, its revocation poll would log
    // an outage.
    await stopAndWait()
    await pgSchema?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).message}`, (err as { cause?: unknown }).cause ?? "")
  stop()
  process.exit(1)
})
