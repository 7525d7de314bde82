// Giving a SQLite file's free pages back to the disk. Deleting rows frees pages inside the
// file but never shrinks it; a store created by Keyturn is in incremental auto-vacuum mode
// (connect.ts), so the free pages can be handed back a few at a time, each step a short
// write lock. A file made before that mode (auto_vacuum off) is switched over by one
// VACUUM, which rewrites the whole file under the lock: `keyturn flushexpiredtokens --vacuum`,
// in a quiet moment.
import SQLite from 'better-sqlite3'

// Pages freed per step: 4 MB of 4 KiB pages, a few milliseconds of lock each.
const PAGES_PER_STEP = 1000

export interface SpaceReclaimed {
  mode: 'incremental' | 'none' | 'full'
  freedPages: number
  // Pages still free in the file: a file not in incremental mode keeps them until a VACUUM.
  freePagesLeft: number
  pageSize: number
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
      return { mode: 'incremental', freedPages: before, freePagesLeft: read('freelist_count'), pageSize }
    }
    const mode = MODES[read('auto_vacuum')] ?? 'none'
    if (mode === 'incremental') {
      for (let free = before; free > 0; free = read('freelist_count')) {
        database.pragma(`incremental_vacuum(${PAGES_PER_STEP})`)
        // Between steps, the server's writers get the lock.
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    const left = read('freelist_count')
    return { mode, freedPages: before - left, freePagesLeft: left, pageSize }
  } finally {
    database.close()
  }
}
