// A batched delete run until nothing is left, paced so that a running server keeps writing.
// On SQLite each batch holds the one write lock while it runs, and the server's writers, each
// waiting with SQLite's busy handler (sleeps of up to 100 ms between tries), lost the race for
// it to the next batch again and again: with batches of 1 000 back to back, refresh p99 went
// to 2 s under a flush of a million sessions. So each batch is a transaction of its own, which
// takes the lock as it begins (BEGIN IMMEDIATE on SQLite); the time from there to the end of
// its delete, the lock held, sizes the next batch to about TARGET_MS (the time spent waiting
// for the lock does not count, or a busy server would shrink the batches to nothing), and a
// pause follows each: as long as the batch, and on SQLite at least MIN_PAUSE_SQLITE_MS, longer
// than the busy handler's longest sleep (100 ms), so that a writer which went to sleep while a
// batch ran wakes inside the pause rather than behind the next batch. Postgres takes row locks
// only: there the pause is the batch's own length, which keeps a flush from crowding the pool.
import type { Kysely } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database, Executor } from '../plugins/infra/store/database.js'

export interface DrainReport {
  rows: number
  batches: number
  // The longest one batch's delete took, the write lock held on SQLite, in ms.
  longestMs: number
}

const TARGET_MS = 15
export const MIN_PAUSE_SQLITE_MS = 110
const FIRST_BATCH = 500
const MIN_BATCH = 50
const MAX_BATCH = 10_000

export async function pacedDrain(
  step: (db: Executor, batch: number) => Promise<number>,
  db: Kysely<Database>,
  { targetMs = TARGET_MS, minPauseMs = 0 }: { targetMs?: number; minPauseMs?: number } = {},
): Promise<DrainReport> {
  const report: DrainReport = { rows: 0, batches: 0, longestMs: 0 }
  let size = FIRST_BATCH
  for (;;) {
    let ms = 0
    const removed = await db.transaction().execute(async (trx) => {
      const started = performance.now()
      const n = await step(trx, size)
      ms = performance.now() - started
      return n
    })
    report.rows += removed
    report.batches++
    report.longestMs = Math.max(report.longestMs, ms)
    if (removed < size) return report
    // Rows per ms of this batch, held to at most doubling or halving a step.
    size = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size / 2, Math.min(size * 2, (size * targetMs) / Math.max(ms, 1)))))
    await sleep(Math.max(ms, minPauseMs, 2))
  }
}
