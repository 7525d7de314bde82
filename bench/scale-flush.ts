// The scale bench's flush: `keyturn flushexpiredtokens` removing a million expired sessions
// from the large store while a steady refresh load goes on.
import type autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { DIST, ROOT } from './keyturn-process.js'
import type { ScaleRow } from './scale-report.js'
import { seedExpiredSessions } from './scale-seed.js'
import { notePeak, running, type Side } from './scale-side.js'
import { fire, percentileOf } from './timed-load.js'

const FLUSH_SESSIONS = 1_000_000
// The refresh load a flush runs under: steady, well below what the store can take (at
// saturation every answer waits behind a queue of 100 and p99 is 100-270 ms with no flush),
// from 10 connections: autocannon paces each connection on its own, so 100 connections at 5
// requests a second arrived in bursts of up to 100, and p99 measured the bursts (92 ms on
// SQLite and 220 ms on Postgres with no flush at all).
const FLUSH_REFRESH_RATE = 500
const FLUSH_LOAD = { connections: 10, pipelining: 1 }
// The load runs in windows of this many seconds until the flush is done.
const FLUSH_WINDOW_S = 2

// Refresh load on the large side (the refresh scenario's chains, gone on with) while
// `keyturn flushexpiredtokens` removes a backlog.
export async function flushUnderLoad(large: Side, requests: () => autocannon.Request[]): Promise<ScaleRow[]> {
  const count = Math.min(FLUSH_SESSIONS, large.users)
  // Logins queued behind the last scenario's load are still hashing: let them finish.
  await new Promise((r) => setTimeout(r, 5000))
  const seeded = Date.now()
  await seedExpiredSessions(large.store, large.users, count, Date.now())
  console.log(`  flush: ${count} expired sessions seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`)
  const url = running(large).url
  const beforeTimes: number[] = []
  const before = await fire(FLUSH_LOAD, url, requests(), 4, FLUSH_REFRESH_RATE, beforeTimes)
  const started = performance.now()
  const flush = spawn(process.execPath, [join(DIST, 'cli', 'index.js'), 'flushexpiredtokens'], { cwd: ROOT, env: large.env, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  flush.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()))
  const done = new Promise<number | null>((resolve) => flush.on('exit', (code) => resolve(code)))
  let finished = false
  void done.then(() => void (finished = true))
  const during = []
  const duringTimes: number[] = []
  while (!finished) during.push(await fire(FLUSH_LOAD, url, requests(), FLUSH_WINDOW_S, FLUSH_REFRESH_RATE, duringTimes))
  if ((await done) !== 0) throw new Error(`flushexpiredtokens failed: ${out}`)
  const seconds = (performance.now() - started) / 1000
  await notePeak(large)
  // The p99 of every refresh answered while the flush ran; the worst window's is in the note
  // (until 2026-12-02 the figure was that worst window's, a harder mark: 1 000 answers each).
  const p99 = Math.round(percentileOf(duringTimes, 99))
  const worstWindow = Math.max(...during.map((s) => s.p99))
  const non2xx = during.reduce((n, s) => n + s.non2xx + s.errors, 0)
  const rps = during.reduce((n, s) => n + s.total, 0) / (during.length * FLUSH_WINDOW_S)
  console.log(`  flush: ${out.trim().split('\n')[0]} in ${seconds.toFixed(1)} s; refresh p99 ${p99} ms, ${non2xx} non-2xx`)
  // Which part of the flush a slow answer came in: the deletes, or the space given back after.
  console.log(`  flush: p99 of each ${FLUSH_WINDOW_S} s of it, in ms: ${during.map((s) => s.p99).join(' ')}`)
  for (const line of out.trim().split('\n').slice(1)) console.log(`  flush: ${line}`)
  return [
    {
      figure: 'refresh p99 during a flush (ms)',
      description: `${FLUSH_REFRESH_RATE} refreshes a second (${FLUSH_LOAD.connections} connections) while flushexpiredtokens deletes ${count} expired sessions and their tokens (${seconds.toFixed(1)} s); small: the same load on the large store just before`,
      small: Math.round(percentileOf(beforeTimes, 99)),
      large: p99,
      ratio: undefined,
      target: '< 100 ms, 0 non-2xx',
      ok: p99 < 100 && non2xx === 0 && before.non2xx === 0,
      note: `${non2xx} non-2xx or errors; ${duringTimes.length} refreshes, the worst ${FLUSH_WINDOW_S} s window's p99 ${worstWindow} ms; ${rps.toFixed(0)} refresh/s during it, ${before.rps.toFixed(0)} before; ${/the longest batch took \d+ ms, the longest commit after one \d+ ms/.exec(out)?.[0] ?? ''}; large peak RSS so far ${large.peakRss} MB`,
    },
  ]
}
