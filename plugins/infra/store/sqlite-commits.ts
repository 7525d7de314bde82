// A change signal for a SQLite file in WAL mode: every commit, by any process, writes the
// file's write-ahead log, and the kernel tells a watcher of that file (inotify on Linux). The
// watch is armed for one change at a time: a busy writer would otherwise wake the process
// at each commit. A write may be told before its commit can be read (the log is written
// before the index that makes it visible), which is why a reader does not take a change it
// found nothing for as proof of quiet (poll-schedule.ts).
import { existsSync, watch, type FSWatcher } from 'node:fs'
import type { ChangeSignal } from './change-signal.js'

export function sqliteCommits(databasePath: string): ChangeSignal {
  const wal = `${databasePath}-wal`
  let watcher: FSWatcher | undefined
  let told: () => void = () => {}
  const disarm = (): void => {
    watcher?.close()
    watcher = undefined
  }
  return {
    async arm(onChange) {
      disarm()
      // No log yet (no connection has read the file in WAL mode): nothing to watch.
      if (!existsSync(wal)) return false
      try {
        const current = watch(wal, { persistent: false })
        const changed = (): void => {
          if (watcher !== current) return
          disarm()
          told()
        }
        current.on('change', changed)
        current.on('error', changed)
        watcher = current
        told = onChange
        return true
      } catch {
        return false
      }
    },
    disarm,
    close: async () => disarm(),
  }
}
