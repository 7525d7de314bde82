// When an instance reads the revocation log. While the log moves, every `pollMs`, as it
// always has: another instance's revocation reaches this one within that. While it is quiet,
// the store's change signal (change-signal.ts) says when to read, at most once per `pollMs`,
// and a read every `quietMs` keeps memory's age (assertFresh) honest should a signal be lost.
// Without a signal (a store in memory, a pooler that loses notices), every `pollMs`. An idle
// instance woken four times a second for the log spent most of its idle CPU on it (each
// wakeup of a process costs more than the query it makes).
import type { ChangeSignal } from '../infra/store/change-signal.js'

export interface PollScheduleOptions {
  // Reads the log: how many rows it read.
  poll: () => Promise<number>
  pollMs: number
  quietMs: number
  signal: ChangeSignal | undefined
  onError: (err: unknown) => void
}

export interface PollSchedule {
  stop(): Promise<void>
}

export function schedulePolls({ poll, pollMs, quietMs, signal, onError }: PollScheduleOptions): PollSchedule {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let lastReadAt = Date.now()
  let round: Promise<void> = Promise.resolve()
  let inRound = false
  let toldInRound = false

  const readIn = (ms: number, told: boolean): void => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      round = readRound(told)
    }, ms)
    timer.unref()
  }
  // How many rows a read found; -1 when it failed (the log may be moving: read again soon).
  const read = async (): Promise<number> => {
    lastReadAt = Date.now()
    try {
      return await poll()
    } catch (err) {
      onError(err)
      return -1
    }
  }
  // Armed: any change from now on will be told.
  let armed = false
  const changed = (): void => {
    armed = false
    if (stopped) return
    if (inRound) toldInRound = true
    else readIn(Math.max(0, lastReadAt + pollMs - Date.now()), true)
  }
  const disarm = (): void => {
    armed = false
    signal?.disarm()
  }

  // A round that found rows, or could not read, or followed a signal (a SQLite write is told
  // before its commit can be read) reads again in pollMs, the signal off. A quiet one waits
  // for the signal: armed since before this read, nothing got past it; armed now, it reads
  // again what committed before the arming took hold.
  async function readRound(told: boolean): Promise<void> {
    inRound = true
    toldInRound = false
    try {
      const rows = await read()
      if (stopped) return
      if (signal === undefined || rows !== 0 || told || toldInRound) {
        disarm()
        return readIn(pollMs, toldInRound)
      }
      if (armed) return readIn(quietMs, false)
      armed = await signal.arm(changed).catch(() => false)
      if (stopped) return disarm()
      if (!armed) return readIn(pollMs, toldInRound)
      const again = await read()
      if (stopped) return
      if (again !== 0 || toldInRound) {
        disarm()
        return readIn(pollMs, toldInRound)
      }
      readIn(quietMs, false)
    } finally {
      inRound = false
    }
  }

  readIn(pollMs, false)
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      disarm()
      await signal?.close()
      await round
    },
  }
}
