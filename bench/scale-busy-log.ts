// The scale bench's busy revocation log: as many session revocations as users inside the
// window, then a restart of the large instance (startup, memory, idle CPU), the log filling at
// 500 rows a second, and on Postgres the same with another client's transaction held open.
import { cpuSeconds, postgresCpuBetween, postgresCpuSeconds } from './cpu-time.js'
import { rssMb } from './keyturn-process.js'
import type { ScaleRow } from './scale-report.js'
import { openScaleStore, seedRevocations, type ScaleStore } from './scale-seed.js'
import { notePeak, restart, running, type ScaleOptions, type Side } from './scale-side.js'
import { median } from './timed-load.js'

// As many session revocations as users (a mass logout of everyone), inside the revocation
// window (15 min access tokens), so every entry must be held.
const REVOCATION_SPAN_MS = 14 * 60_000
const LOG_ROWS_PER_S = 500
// Idle and log phases last six run durations (a minute by default), after two to settle.
const settleSeconds = (o: ScaleOptions): number => 2 * o.duration
const idleSeconds = (o: ScaleOptions): number => 6 * o.duration

// Percent of one core a process (and, on Postgres, the server) used over `seconds`.
async function cpuOver(pid: number, seconds: number, pgServer: boolean, meanwhile?: () => Promise<void>): Promise<{ keyturn: number; server: number | undefined }> {
  const k0 = cpuSeconds(pid)
  const s0 = pgServer ? postgresCpuSeconds() : new Map<number, number>()
  const t0 = performance.now()
  await Promise.all([new Promise((r) => setTimeout(r, seconds * 1000)), meanwhile?.()])
  const wall = (performance.now() - t0) / 1000
  return { keyturn: (100 * (cpuSeconds(pid) - k0)) / wall, server: pgServer ? (100 * postgresCpuBetween(s0, postgresCpuSeconds())) / wall : undefined }
}

// Rows appended to the log at `perSecond` for `seconds`, in tenths of a second.
async function logWriter(store: ScaleStore, perSecond: number, seconds: number, firstSubject: number): Promise<void> {
  const per = perSecond / 10
  for (let tick = 0; tick < seconds * 10; tick++) {
    const next = new Promise((r) => setTimeout(r, 100))
    const rows = Array.from({ length: per }, (_, k) => `('session', ${firstSubject + tick * per + k}, ${Date.now()})`).join(', ')
    await store.run(`INSERT INTO revocations (kind, subject_id, created_at) VALUES ${rows}`)
    await next
  }
}

export async function busyLog(large: Side, o: ScaleOptions): Promise<ScaleRow[]> {
  const count = large.users
  const SETTLE_S = settleSeconds(o)
  const IDLE_S = idleSeconds(o)
  await seedRevocations(large.store, count, REVOCATION_SPAN_MS, Date.now())
  // Three starts, the median, as the startup phase takes it: one start is one sample of a
  // machine whose speed moves.
  const starts: number[] = []
  for (let i = 0; i < 3; i++) starts.push((await restart(large, o)).startMs)
  const keyturn = running(large)
  const startMs = median(starts)
  const rows: ScaleRow[] = []
  const mark = (figure: string, value: number, target: string, ok: boolean, note = ''): void => {
    rows.push({ figure, description: `${count} session revocations inside the window`, small: undefined, large: value, ratio: undefined, target, ok, note })
  }
  mark('busy log: startup (ms to the first answer)', Math.round(startMs), '< 1500', startMs < 1500, `starts ${starts.map(Math.round).join(', ')}`)
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000))
  const rss = (await rssMb(keyturn.pid)) ?? 0
  mark('busy log: RSS after start (MB)', rss, '< 200', rss < 200, `after ${SETTLE_S} s`)
  const pgServer = o.store === 'postgres'
  const idle = await cpuOver(keyturn.pid, IDLE_S, pgServer)
  mark('busy log: idle CPU (% of a core)', round2(idle.keyturn), '< 0.5', idle.keyturn < 0.5, `over ${IDLE_S} s${pgServer ? `; the Postgres server ${round2(idle.server ?? 0)} %` : ''}`)
  const writing = await cpuOver(keyturn.pid, IDLE_S, pgServer, () => logWriter(large.store, LOG_ROWS_PER_S, IDLE_S, 200_000_000))
  mark(`busy log at ${LOG_ROWS_PER_S} rows/s: CPU (% of a core)`, round2(writing.keyturn), '< 0.5', writing.keyturn < 0.5, pgServer ? `the Postgres server ${round2(writing.server ?? 0)} %` : '')
  if (pgServer) {
    // Another client's transaction, open for the whole minute while the log fills.
    const holder = await openScaleStore(large.env.KEYTURN_DATABASE_URL as string)
    await holder.run('BEGIN')
    await holder.run('SELECT txid_current()')
    const held = await cpuOver(keyturn.pid, IDLE_S, true, () => logWriter(large.store, LOG_ROWS_PER_S, IDLE_S, 300_000_000))
    await holder.run('ROLLBACK')
    await holder.close()
    const growth = (held.server ?? 0) / Math.max(writing.server ?? 0, 0.01)
    mark(
      `... with a transaction open for ${IDLE_S} s: CPU (% of a core)`,
      round2(held.keyturn),
      '< 0.5',
      held.keyturn < 0.5,
      `the Postgres server ${round2(held.server ?? 0)} % (${growth.toFixed(2)} of without)`,
    )
  }
  await notePeak(large)
  return rows
}

const round2 = (n: number): number => Math.round(n * 100) / 100
