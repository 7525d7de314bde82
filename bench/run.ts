// `npm run bench`: Keyturn against its ceilings, in the same run. Starts a bare Fastify
// server (B) and Keyturn on a fresh store side by side, seeds users with the real CLI, then
// drives each scenario with autocannon, interleaving ceiling and scenario runs. Every figure
// is a ratio to a ceiling measured just before it on the same machine, and the median of
// those ratios is the one reported.
import type autocannon from 'autocannon'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type BenchReport, type ScenarioResult, writeReport, printTable, TARGETS } from './report.js'
import { UnexpectedLines } from './kept-log.js'
import {
  DIST,
  ROOT,
  NPM_START_NODE_ARGS,
  PASSWORD,
  benchEnv,
  freshPostgresSchema,
  keyturnCli,
  peakRssMb,
  resetPeakRss,
  startChild,
  startKeyturn,
  stopAndWait,
  stopChildren,
} from './keyturn-process.js'
import { orUsage } from './options.js'
import { freePort } from './processes.js'
import { SCALE_PHASES, scaleBench } from './scale.js'
import { SCENARIOS, type ScenarioContext } from './scenarios.js'
import { soak } from './soak.js'
import { printSoak, writeSoak } from './soak-report.js'
import { fire as fireWith, medianPair, timedRun, type RunPair } from './timed-load.js'

const USAGE = `npm run bench -- [--duration S] [--slice S] [--connections N] [--pipelining N] [--runs N]
                 [--scenarios ${SCENARIOS.map((s) => s.name).join(',')}] [--store sqlite|postgres]
                 [--postgres-url URL] [--users N] [--output DIR]
                 [--node-args=--cpu-prof,--cpu-prof-dir=DIR]  (flags for Keyturn's node)
                 [--set KEYTURN_SETTING=VALUE ...]  (Keyturn settings for the run)
                 [--soak-minutes N [--soak-rate R]]  (instead of the scenarios: R requests a
                                                      second for N minutes, memory sampled)
                 [--scale USERS [--scale-small USERS]]  (instead of the scenarios: a store of
                                                      USERS, e.g. 1m, against one of 1k, both
                                                      seeded by SQL; --scenarios then picks of
                                                      startup,verify,me,refresh,login,flush,busy-log)`

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
        scale: { type: 'string' },
        'scale-small': { type: 'string', default: '1k' },
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
const fire = (url: string, requests: autocannon.Request[], seconds: number) => fireWith({ connections, pipelining }, url, requests, seconds)
process.on('exit', stopChildren)
process.on('SIGINT', () => process.exit(130))

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

// 1m, 200k, 1000: a count of users.
function userCount(text: string): number {
  const match = /^([0-9]+)([km]?)$/i.exec(text.trim())
  const n = match ? Number(match[1]) * ({ k: 1e3, m: 1e6 }[(match[2] as string).toLowerCase()] ?? 1) : NaN
  if (!(Number.isSafeInteger(n) && n >= 10)) throw new Error(`--scale takes a count of users such as 1m, 200k or 5000, not ${text}`)
  return n
}

function scalePhases(list: string): string[] {
  const phases = list.split(',').map((s) => s.trim())
  const unknown = phases.filter((p) => !SCALE_PHASES.includes(p))
  if (unknown.length > 0) throw new Error(`--scale runs the phases ${SCALE_PHASES.join(',')}, not ${unknown.join(',')}`)
  return phases
}

async function main(): Promise<void> {
  if (opts.scale !== undefined) {
    return scaleBench({
      users: userCount(opts.scale),
      small: userCount(opts['scale-small']),
      store: opts.store === 'postgres' ? 'postgres' : 'sqlite',
      postgresUrl: opts['postgres-url'],
      duration,
      slice,
      runs,
      load: { connections, pipelining },
      output: opts.output,
      settings: settings(opts.set),
      extraNodeArgs: opts['node-args'].split(',').filter(Boolean),
      // --scenarios names the scale run's phases here; the default list means all of them.
      phases: opts.scenarios === SCENARIOS.map((s) => s.name).join(',') ? undefined : scalePhases(opts.scenarios),
    })
  }
  const names = opts.scenarios.split(',').map((s) => s.trim())
  const chosen = SCENARIOS.filter((s) => names.includes(s.name))
  if (chosen.length === 0) throw new Error(`no known scenario in --scenarios ${opts.scenarios}`)
  const store = opts.store === 'postgres' ? 'postgres' : 'sqlite'
  const dataDir = mkdtempSync(join(tmpdir(), 'keyturn-bench-'))
  const pgSchema = store === 'postgres' ? await freshPostgresSchema(opts['postgres-url']) : undefined
  const databaseUrl = pgSchema?.url ?? `sqlite:${join(dataDir, 'keyturn.sqlite')}`
  const keyturnSettings = settings(opts.set)
  const env = benchEnv(databaseUrl, dataDir, randomBytes(48).toString('base64url'), await freePort(), keyturnSettings)
  try {
    console.log(`seeding ${opts.users} users on ${store} ...`)
    keyturnCli(['seed-users', '--count', opts.users, '--password-stdin'], env, PASSWORD)
    const service = keyturnCli(['createservice', '--name', 'bench'], env)
    const clientId = /^client_id: (\S+)$/m.exec(service)?.[1]
    const clientSecret = /^client_secret: (\S+)$/m.exec(service)?.[1]
    if (!clientId || !clientSecret) throw new Error('createservice printed no client_id and client_secret')
    const serviceAuthorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`

    const baseline = await startChild([join(DIST, 'bench', 'baseline-server.js')], { PATH: process.env.PATH }, /^\d+$/)
    const baselineUrl = `http://127.0.0.1:${baseline.line.trim()}`
    const extraNodeArgs = opts['node-args'].split(',').filter(Boolean)
    const nodeArgs = [...NPM_START_NODE_ARGS, ...extraNodeArgs]
    const logPath = join(dataDir, 'keyturn.log')
    const keyturn = await startKeyturn(env, logPath, extraNodeArgs)
    const keyturnUrl = keyturn.url
    const pid = keyturn.pid
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
      const mid = medianPair(pairs)
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
  stopChildren()
  process.exit(1)
})
