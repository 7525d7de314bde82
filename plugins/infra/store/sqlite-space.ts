// Giving a SQLite file's free pages back to the disk. Deleting rows frees pages inside the
// file but never shrinks it; a store created by Keyturn is in incremental auto-vacuum mode
// (connect.ts), so the free pages can be handed back a few at a time, each step a short
// write lock. A file made before that mode (auto_vacuum off) is switched over by one
// VACUUM, which rewrites the whole file under the lock: `keyturn flushexpiredtokens --vacuum`,
// in a quiet moment.
//
// The steps are paced as the flush's deletes are (paced-steps.ts). Steps of a fixed 1 000 pages (4 MB moved under the
// lock, however long the disk takes) left a waiting server 5 ms between them to get in.
import SQLite from 'better-sqlite3'
import { setTimeout as sleep } from 'node:timers/promises'
import { MIN_PAUSE_SQLITE_MS, nextStepSize, pauseAfter } from './paced-steps.js'

const FIRST_STEP = 100
const MIN_STEP = 16
const MAX_STEP = 4000

export interface SpaceReclaimed {
  mode: 'incremental' | 'none' | 'full'
  freedPages: number
  // Pages still free in the file: a file not in incremental mode keeps them until a VACUUM.
  freePagesLeft: number
  pageSize: number
  // The longest one step held the write lock (ms), its wait for the lock not counted.
  longestStepMs: number
}

const MODES = ['none', 'full', 'incremental'] as const

export async function reclaimSqliteSpace(path: string, options: { vacuum?: boolean; busyTimeoutMs?: number } = {}): Promise<SpaceReclaimed> {
  const database = new SQLite(path, { fileMustExist: true })
  try {
    database.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
    const read = (pragma: string) => database.pragma(pragma, { simple: true }) as number
    const pageSize = read('page_size')
    const before = read('freelist_count')
    if (options.vacuum === true && read('auto_vacuum') !== 2) {
      database.pragma('auto_vacuum = INCREMENTAL')
      database.exec('VACUUM')
      return { mode: 'incremental', freedPages: before, freePagesLeft: read('freelist_count'), pageSize, longestStepMs: 0 }
    }
    const mode = MODES[read('auto_vacuum')] ?? 'none'
    let longestStepMs = 0
    if (mode === 'incremental') {
      let pages = FIRST_STEP
      for (let free = before; free > 0; free = read('freelist_count')) {
        // The lock taken first (waiting for it is not the step's), then the step timed.
        database.exec('BEGIN IMMEDIATE')
        const started = performance.now()
        try {
          database.pragma(`incremental_vacuum(${pages})`)
          database.exec('COMMIT')
        } finally {
          if (database.inTransaction) database.exec('ROLLBACK')
        }
        const ms = performance.now() - started
        longestStepMs = Math.max(longestStepMs, ms)
        pages = nextStepSize(pages, ms, MIN_STEP, MAX_STEP)
        // Between steps, the server's writers get the lock.
        await sleep(pauseAfter(ms, MIN_PAUSE_SQLITE_MS))
      }
    }
    const left = read('freelist_count')
    return { mode, freedPages: before - left, freePagesLeft: left, pageSize, longestStepMs }
  } finally {
    database.close()
  }
}
