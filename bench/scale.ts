// `npm run bench -- --scale 1m`: Keyturn on a store of a million users against Keyturn on a
// store of a thousand, in the same run. Both stores are seeded by SQL (scale-seed.ts) and
// both instances run side by side as `npm start` runs them; every throughput figure is the
// large instance's requests over the small one's, in alternating slices (timed-load.ts), so
// the ratio says what size alone costs. Then, on the large store only: a flush of a backlog
// of expired sessions under refresh load, and a busy revocation log (startup, memory, idle
// CPU, and on Postgres a transaction left open while the log fills).
import type autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { OWASP_ARGON2, PasswordHasher } from '../plugins/passwords/password-hasher.js'
import { PASSWORD, stopAndWait } from './keyturn-process.js'
import { busyLog } from './scale-busy-log.js'
import { flushUnderLoad } from './scale-flush.js'
import { printScale, writeScale, type ScaleReport, type ScaleRow } from './scale-report.js'
import { notePeak, openSide, restart, running, type ScaleOptions, type Side } from './scale-side.js'
import { jsonHeaders } from './scenarios.js'
import { minter, spread, type Minter } from './scale-tokens.js'
import { fire, median, medianPair, timedRun, walk, type RunPair } from './timed-load.js'

export type { ScaleOptions } from './scale-side.js'

export const SCALE_PHASES = ['startup', 'verify', 'me', 'refresh', 'login', 'flush', 'busy-log']

// The figures: what a million users must keep of a thousand, and the bounds.
const RATIO_TARGET = 0.8
const VERIFY_TOKENS = 100_000
const ME_USERS = 200_000
const REFRESH_SESSIONS = 100_000

// What each throughput scenario sends to a side; called once a slice, its state kept across
// slices (a token pool is walked on, not restarted). `warm`, when given, is sent once before
// the timed runs: the steady state of a pool of users, not its first minute.
interface PairScenario {
  name: string
  description: string
  hashes?: true
  prepare(side: Side, mint: Minter): Prepared
}

interface Prepared {
  next: () => autocannon.Request[]
  warm?: { requests: autocannon.Request[]; amount: number }
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T

const PAIR_SCENARIOS: PairScenario[] = [
  {
    name: 'verify',
    description: `POST /api/token/verify/: every user's token on the small store; ${VERIFY_TOKENS / 1000}k distinct users' on the large, in turn, once each has been seen twice`,
    prepare(side, mint) {
      const tokens = spread(side.name === 'small' ? side.users : VERIFY_TOKENS, side.users).map((u) => mint.access(2 * u - 1))
      let i = 0
      const verify = (): autocannon.Request[] => [{ method: 'POST', path: '/api/token/verify/', headers: jsonHeaders(), setupRequest: (req) => ({ ...req, body: JSON.stringify({ token: tokens[i++ % tokens.length] }) }) }]
      // Every token twice first: the steady state of clients that keep using their tokens,
      // where the verified-token cache admits a token at its second sighting.
      return { next: verify, warm: { requests: verify(), amount: 2 * tokens.length } }
    },
  },
  {
    name: 'me',
    description: `GET /api/user/ with Bearer: a random one of every user on the small store, of ${ME_USERS / 1000}k distinct users on the large, once each of them has been seen`,
    prepare(side, mint) {
      const tokens = spread(side.name === 'small' ? side.users : ME_USERS, side.users).map((u) => mint.access(2 * u))
      const me = (token: () => string): autocannon.Request[] => [{ method: 'GET', path: '/api/user/', setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${token()}` } }) }]
      let w = 0
      return { next: () => me(() => pick(tokens)), warm: { requests: me(() => tokens[w++ % tokens.length] as string), amount: tokens.length } }
    },
  },
  {
    name: 'refresh',
    description: `POST /api/token/refresh/: every session's live token once (${REFRESH_SESSIONS / 1000}k sessions spread over the large store), then the chains they start`,
    prepare(side, mint) {
      const queue = spread(side.name === 'small' ? 2 * side.users : REFRESH_SESSIONS, 2 * side.users).map((s) => mint.refresh(s))
      let head = 0
      const onResponse = (status: number, body: string): void => {
        if (status === 200) queue.push((JSON.parse(body) as { refresh: string }).refresh)
      }
      const next = (): autocannon.Request[] => [
        {
          method: 'POST',
          path: '/api/token/refresh/',
          headers: jsonHeaders(),
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh: queue[head++] ?? 'chain-broken' }) }),
          onResponse,
        },
      ]
      return { next }
    },
  },
  {
    name: 'login',
    hashes: true,
    description: 'POST /api/token/ with the password (argon2id m=19456 KiB, t=2): users in turn on the small store, random ones of all on the large',
    prepare(side) {
      let i = 0
      const user = () => (side.name === 'small' ? (i++ % side.users) + 1 : 1 + Math.floor(Math.random() * side.users))
      return { next: () => [{ method: 'POST', path: '/api/token/', headers: jsonHeaders(), setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `load${user()}`, password: PASSWORD }) }) }] }
    },
  },
]

const refreshScenario = PAIR_SCENARIOS.find((s) => s.name === 'refresh') as PairScenario

async function pairScenario(scenario: PairScenario, small: Side, large: Side, o: ScaleOptions, mint: Minter): Promise<ScaleRow> {
  const smallPrepared = scenario.prepare(small, mint)
  const largePrepared = scenario.prepare(large, mint)
  const smallRequests = smallPrepared.next
  const largeRequests = largePrepared.next
  if (scenario.name === 'refresh') large.refreshChains = largeRequests
  const smallUrl = running(small).url
  const largeUrl = running(large).url
  for (const [url, prepared] of [[smallUrl, smallPrepared], [largeUrl, largePrepared]] as const) {
    if (prepared.warm) await walk(o.load, url, prepared.warm.requests, prepared.warm.amount)
  }
  await fire(o.load, smallUrl, smallRequests(), 2)
  await fire(o.load, largeUrl, largeRequests(), 2)
  const sliceSeconds = scenario.hashes ? o.duration : o.slice
  const slices = Math.max(1, Math.round(o.duration / sliceSeconds))
  const pairs: RunPair[] = []
  for (let i = 0; i < o.runs; i++) {
    const pair = await timedRun(
      slices,
      sliceSeconds,
      async (seconds) => (await fire(o.load, smallUrl, smallRequests(), seconds)).total,
      () => fire(o.load, largeUrl, largeRequests(), sliceSeconds),
    )
    pairs.push(pair)
    console.log(`  ${scenario.name} run ${i + 1}/${o.runs}: small ${pair.ceilingRps.toFixed(0)} req/s, large ${pair.stats.rps.toFixed(0)} req/s (${pair.stats.non2xx} non-2xx), ratio ${pair.ratio.toFixed(2)}`)
  }
  await notePeak(large)
  await notePeak(small)
  const mid = medianPair(pairs)
  return {
    figure: `${scenario.name} (req/s)`,
    description: scenario.description,
    small: Math.round(mid.ceilingRps),
    large: Math.round(mid.stats.rps),
    ratio: mid.ratio,
    target: `>= ${RATIO_TARGET}`,
    ok: mid.ratio >= RATIO_TARGET && pairs.every((p) => p.stats.non2xx === 0),
    note: `runs ${pairs.map((p) => p.ratio.toFixed(2)).join(', ')}; ${pairs.reduce((n, p) => n + p.stats.non2xx, 0)} non-2xx; large p99 ${mid.stats.p99} ms; large peak RSS so far ${large.peakRss} MB`,
  }
}

async function startup(small: Side, large: Side, o: ScaleOptions): Promise<ScaleRow> {
  const times: Record<Side['name'], number[]> = { small: [], large: [] }
  for (let i = 0; i < 3; i++) for (const side of [small, large]) times[side.name].push((await restart(side, o)).startMs)
  const s = median(times.small)
  const l = median(times.large)
  return {
    figure: 'startup (ms to the first answer)',
    description: 'from the spawn to the first HTTP answer, three starts each, alternating',
    small: Math.round(s),
    large: Math.round(l),
    ratio: s / l,
    target: `>= ${RATIO_TARGET}`,
    ok: s / l >= RATIO_TARGET,
    note: `small ${times.small.map(Math.round).join(', ')}; large ${times.large.map(Math.round).join(', ')}`,
  }
}

export async function scaleBench(o: ScaleOptions): Promise<void> {
  const signingKey = randomBytes(48).toString('base64url')
  // One hash for every user of both stores (the real hasher, Keyturn's default parameters).
  const sharedHash = await new PasswordHasher(OWASP_ARGON2).hash(PASSWORD)
  console.log(`scale bench on ${o.store}: ${o.users} users against ${o.small}, seeding by SQL (one shared password hash: load tests only)`)
  const sides: Side[] = []
  try {
    const small = await openSide('small', o.small, o, signingKey, sharedHash)
    sides.push(small)
    const large = await openSide('large', o.users, o, signingKey, sharedHash)
    sides.push(large)
    const chosen = (phase: string): boolean => o.phases === undefined || o.phases.includes(phase)
    const rows: ScaleRow[] = []
    if (chosen('startup')) {
      rows.push(await startup(small, large, o))
      console.log(`  startup: small ${rows[0]?.small} ms, large ${rows[0]?.large} ms`)
    } else for (const side of [small, large]) await restart(side, o)
    for (const scenario of PAIR_SCENARIOS) if (chosen(scenario.name)) rows.push(await pairScenario(scenario, small, large, o, minter(signingKey)))
    if (chosen('flush')) rows.push(...(await flushUnderLoad(large, large.refreshChains ?? refreshScenario.prepare(large, minter(signingKey)).next)))
    if (chosen('busy-log')) rows.push(...(await busyLog(large, o)))
    await notePeak(large)
    await notePeak(small)
    rows.push({
      figure: 'peak RSS of the large instance (MB)',
      description: 'the most any of its processes held at once, over the whole run',
      small: small.peakRss || undefined,
      large: large.peakRss,
      ratio: undefined,
      target: '< 250',
      ok: large.peakRss < 250,
      note: '',
    })
    const report: ScaleReport = {
      date: new Date().toISOString(),
      store: o.store,
      users: o.users,
      small: o.small,
      machine: { cpus: (await import('node:os')).cpus().length, cpuModel: (await import('node:os')).cpus()[0]?.model ?? 'unknown' },
      node: process.version,
      connections: o.load.connections,
      durationSeconds: o.duration,
      sliceSeconds: o.slice,
      runs: o.runs,
      rows,
    }
    printScale(report)
    console.log(`\nwritten: ${writeScale(report, o.output).join(', ')}`)
  } finally {
    await stopAndWait()
    for (const side of sides) {
      await side.store.close()
      await side.drop?.()
      rmSync(side.dataDir, { recursive: true, force: true })
    }
  }
}
