// A batched delete run until nothing is left, paced so that a running server keeps writing.
// On SQLite each batch holds the one write lock while it runs, and the server's writes wait for
// it. (They waited in SQLite's busy handler, which sleeps on the event loop's own thread, 1, 2,
// 5, 10 ... up to 100 ms a try, so the whole server stood still; the server now waits off the
// loop, sqlite-group-commit.ts, and this process waits in the handler.) With batches of 1 000
// back to back, refresh p99 went to 2 s under a flush of a million sessions.
// So each batch is a transaction of its own, which takes the lock as it begins (BEGIN
// IMMEDIATE on SQLite); the time its delete takes once the lock is held sizes the next batch to
// about TARGET_STEP_MS (paced-steps.ts), short enough that a waiting writer is let in soon
// (the time spent waiting for the lock does not count, or a busy server would shrink the
// batches to nothing; the commit that follows, a WAL append, is not timed either). A pause
// follows each batch: twice as long as it held the lock, and on SQLite at least
// MIN_PAUSE_SQLITE_MS, so that a writer whose sleeps grew long
// behind a slow batch wakes inside the pause rather than behind the next batch. Postgres takes
// row locks only: there the pause alone keeps a flush from crowding the server's pool.
import type { Kysely } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database, Executor } from '../plugins/infra/store/database.js'
import { nextStepSize, pauseAfter, TARGET_STEP_MS } from '../plugins/infra/store/paced-steps.js'

export { MIN_PAUSE_SQLITE_MS } from '../plugins/infra/store/paced-steps.js'

export interface DrainReport {
  rows: number
  batches: number
  // The longest one batch's delete took once it held the lock, in ms (its commit not counted).
  longestMs: number
  // The longest commit after a batch, in ms. On SQLite that is the WAL append, and, holding
  // the lock as well, the sessions' search index (FTS5) merging its segments, which is what
  // made some commits 110-240 ms; after every thousand pages or so the commit also
  // checkpoints, once the lock is let go.
  longestCommitMs: number
}

const FIRST_BATCH = 500
const MIN_BATCH = 50
const MAX_BATCH = 10_000

export async function pacedDrain(
  step: (db: Executor, batch: number) => Promise<number>,
  db: Kysely<Database>,
  { targetMs = TARGET_STEP_MS, minPauseMs = 0 }: { targetMs?: number; minPauseMs?: number } = {},
): Promise<DrainReport> {
  const report: DrainReport = { rows: 0, batches: 0, longestMs: 0, longestCommitMs: 0 }
  let size = FIRST_BATCH
  for (;;) {
    let ms = 0
    let deleted = 0
    const removed = await db.transaction().execute(async (trx) => {
      const started = performance.now()
      const n = await step(trx, size)
      deleted = performance.now()
      ms = deleted - started
      return n
    })
    report.rows += removed
    report.batches++
    report.longestMs = Math.max(report.longestMs, ms)
    report.longestCommitMs = Math.max(report.longestCommitMs, performance.now() - deleted)
    // Only an empty batch ends it: on Postgres a batch can remove fewer rows than it picked
    // while more remain (another transaction deleted or changed some of them meanwhile).
    if (removed === 0) return report
    size = nextStepSize(size, ms, MIN_BATCH, MAX_BATCH, targetMs)
    await sleep(pauseAfter(ms, minPauseMs))
  }
}
