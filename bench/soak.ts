// The soak: a steady, modest load for many minutes (by default 300 requests a second: 86 %
// GET /api/user/, 12 % refresh, 2 % login), sampling Keyturn's RSS and V8 heap every 10 s,
// to show whether memory levels off. Refreshes follow each session's rotation chain (the
// successor of every answer is the next one presented), so nothing is ever a reuse; a
// login replaces a session of the pool, as a user signing in again on a device would.
import { readFileSync } from 'node:fs'

export interface SoakOptions {
  url: string
  metricsUrl: string
  pid: number
  minutes: number
  rate: number
  users: number
  password: string
}

export interface SoakSample {
  atSeconds: number
  rssMb: number
  heapUsedMb: number
  // Where the rest sits: the V8 heap as committed, memory V8 knows of outside it (buffers),
  // and the RSS split into anonymous pages (malloc, the heap) and file-backed ones (code,
  // mapped files), so growth outside the heap can be placed.
  heapTotalMb: number
  externalMb: number
  anonMb: number
  fileMb: number
}

export interface SoakReport {
  minutes: number
  rate: number
  requests: number
  byKind: Record<Kind, number>
  non2xx: number
  errors: number
  samples: SoakSample[]
  // Over the last ten minutes (or the second half of a shorter soak).
  window: { fromSeconds: number; rssGrowthMb: number; heapGrowthMb: number; rssSlopeMbPerMin: number; heapSlopeMbPerMin: number }
}

type Kind = 'me' | 'refresh' | 'login'

// 43, 6 and 1 in 50: 86 %, 12 %, 2 %.
const MIX: Kind[] = [...Array<Kind>(43).fill('me'), ...Array<Kind>(6).fill('refresh'), 'login']
const POOL = 50
const SAMPLE_MS = 10_000
const TICK_MS = 10

interface Session {
  access: string
  refresh: string
  busy: boolean
}

const json = { 'content-type': 'application/json' }

// The process's RSS, and its anonymous and file-backed parts, from one read of its status.
function rss(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) / 1024
  return { rssMb: mb('VmRSS'), anonMb: mb('RssAnon'), fileMb: mb('RssFile') + mb('RssShmem') }
}

async function heapMb(metricsUrl: string): Promise<{ heapUsedMb: number; heapTotalMb: number; externalMb: number }> {
  const text = await (await fetch(metricsUrl)).text()
  const mb = (name: string) => {
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]
    return value ? Number(value) / 2 ** 20 : NaN
  }
  return { heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'), externalMb: mb('nodejs_external_memory_bytes') }
}

// Least squares, MB a minute.
function slope(points: Array<[number, number]>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  return den === 0 ? 0 : (num / den) * 60
}

export async function soak(opts: SoakOptions): Promise<SoakReport> {
  let userSeq = 0
  const nextUser = () => `load${(userSeq++ % opts.users) + 1}`
  // A new session, or the status of a refused login.
  const login = async (): Promise<Session | number> => {
    const res = await fetch(`${opts.url}/api/token/`, { method: 'POST', headers: json, body: JSON.stringify({ username: nextUser(), password: opts.password, device_name: 'soak' }) })
    if (res.status !== 200) {
      await res.arrayBuffer()
      return res.status
    }
    const pair = (await res.json()) as { access: string; refresh: string }
    return { ...pair, busy: false }
  }
  const sessions: Session[] = []
  for (let i = 0; i < POOL; i++) {
    const session = await login()
    if (typeof session === 'number') throw new Error(`soak login failed: ${session}`)
    sessions.push(session)
  }

  const byKind: Record<Kind, number> = { me: 0, refresh: 0, login: 0 }
  let non2xx = 0
  let errors = 0
  let sent = 0
  const count = (status: number) => {
    if (status < 200 || status >= 300) non2xx++
  }
  const failed = () => {
    errors++
  }
  // Each kind goes round the pool on its own: one counter for all would tie a kind to the
  // same few places of the mix (every refresh to the same 6 sessions of 50, leaving the
  // others' access tokens to expire).
  const turns: Record<Kind, number> = { me: 0, refresh: 0, login: 0 }
  const one = (kind: Kind) => {
    byKind[kind]++
    const turn = turns[kind]++
    const session = sessions[turn % POOL] as Session
    if (kind === 'me') {
      void fetch(`${opts.url}/api/user/`, { headers: { authorization: `Bearer ${session.access}` } })
        .then(async (res) => {
          count(res.status)
          await res.arrayBuffer()
        })
        .catch(failed)
    } else if (kind === 'refresh') {
      // A session whose refresh is still under way waits for its successor: the next free one goes.
      const free = session.busy ? sessions.find((s) => !s.busy) : session
      if (free === undefined) return
      free.busy = true
      void fetch(`${opts.url}/api/token/refresh/`, { method: 'POST', headers: json, body: JSON.stringify({ refresh: free.refresh }) })
        .then(async (res) => {
          count(res.status)
          if (res.status === 200) Object.assign(free, (await res.json()) as { access: string; refresh: string })
          else await res.arrayBuffer()
        })
        .catch(failed)
        .finally(() => {
          free.busy = false
        })
    } else {
      const slot = turn % POOL
      void login()
        .then((fresh) => {
          if (typeof fresh === 'number') return count(fresh)
          count(200)
          if (!(sessions[slot] as Session).busy) sessions[slot] = fresh
        })
        .catch(failed)
    }
  }

  const samples: SoakSample[] = []
  const started = Date.now()
  const sample = async () =>
    samples.push({ atSeconds: (Date.now() - started) / 1000, ...rss(opts.pid), ...(await heapMb(opts.metricsUrl)) })
  await sample()
  const endAt = started + opts.minutes * 60_000
  let nextSample = started + SAMPLE_MS
  let lastProgress = started
  // Requests are sent on a clock (not as fast as answers come), so a slow answer does not
  // lower the load: the rate is what a steady population of clients would send.
  while (Date.now() < endAt) {
    const due = Math.floor(((Date.now() - started) / 1000) * opts.rate)
    while (sent < due) one(MIX[sent++ % MIX.length] as Kind)
    if (Date.now() >= nextSample) {
      await sample()
      nextSample += SAMPLE_MS
    }
    if (Date.now() - lastProgress >= 60_000) {
      lastProgress = Date.now()
      const last = samples[samples.length - 1] as SoakSample
      process.stdout.write(`  soak ${Math.round(last.atSeconds / 60)} min: ${sent} requests, ${non2xx} non-2xx, RSS ${last.rssMb.toFixed(1)} MB (anonymous ${last.anonMb.toFixed(1)}), heap ${last.heapUsedMb.toFixed(1)} of ${last.heapTotalMb.toFixed(1)} MB, external ${last.externalMb.toFixed(1)} MB\n`)
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS))
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await sample()

  const total = samples[samples.length - 1]?.atSeconds ?? 0
  const fromSeconds = total >= 1200 ? total - 600 : total / 2
  const windowed = samples.filter((s) => s.atSeconds >= fromSeconds)
  const first = windowed[0] as SoakSample
  const last = windowed[windowed.length - 1] as SoakSample
  return {
    minutes: opts.minutes,
    rate: opts.rate,
    requests: sent,
    byKind,
    non2xx,
    errors,
    samples,
    window: {
      fromSeconds,
      rssGrowthMb: last.rssMb - first.rssMb,
      heapGrowthMb: last.heapUsedMb - first.heapUsedMb,
      rssSlopeMbPerMin: slope(windowed.map((s) => [s.atSeconds, s.rssMb])),
      heapSlopeMbPerMin: slope(windowed.map((s) => [s.atSeconds, s.heapUsedMb])),
    },
  }
}
