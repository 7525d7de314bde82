// Load with autocannon, and the timed run that sets a scenario beside its ceiling: the same
// seconds of each, alternating in short slices, so that both see the same machine.
import autocannon from 'autocannon'
import type { Stats } from './report.js'

export interface Load {
  connections: number
  pipelining: number
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

// As fast as answers come, or at `rate` requests a second in all.
// With `latencies`, every answer's time (ms) is added to it, so that runs back to back can
// be read as one (percentileOf).
export async function fire(load: Load, url: string, requests: autocannon.Request[], seconds: number, rate?: number, latencies?: number[]): Promise<Stats> {
  const options = { url, connections: load.connections, pipelining: load.pipelining, duration: seconds, requests, ...(rate ? { overallRate: rate } : {}) }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(options, (err, done) => (err ? reject(err) : resolve(done)))
    if (latencies) run.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms))
  })
  return statsOf(result)
}

// The p-th percentile (0-100) of a list of times: the smallest one that many in a hundred
// are at or under.
export function percentileOf(values: number[], p: number): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

// Exactly `amount` requests, as fast as answers come: a warm-up that walks a pool once.
export async function walk(load: Load, url: string, requests: autocannon.Request[], amount: number): Promise<Stats> {
  return statsOf(await autocannon({ url, connections: load.connections, pipelining: load.pipelining, amount, requests }))
}

// A timed run of a scenario and the ceiling run beside it.
export interface RunPair {
  ceilingRps: number
  stats: Stats
  ratio: number
}

// One timed run: `slices` slices of `sliceSeconds` of the ceiling and as many of the
// scenario, alternating, ceiling first. This machine's speed moves within seconds (B between
// 5 800 and 10 200 req/s from one 10 s run to the next), so ten seconds of one and then ten
// of the other compared two different machines; adjacent short slices see the same one, and
// the run's ratio is its scenario requests over its ceiling requests. Every slice opens its
// connections afresh, the ceiling's as well as Keyturn's.
export async function timedRun(
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

// The middle value (the upper one of an even count).
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

// The run with the median ratio: the machine's speed drifts over minutes, so each run is
// divided by the ceiling measured beside it, and the table's req/s, ceiling and ratio come
// from one pair rather than mixing moments minutes apart.
export function medianPair(pairs: RunPair[]): RunPair {
  return [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)] as RunPair
}
