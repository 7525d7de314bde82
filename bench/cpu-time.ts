// CPU time from /proc (Linux): a process's, all its threads', and the Postgres server's, all
// of its processes'. Percentages of a core are these over wall time.
import { readdirSync, readFileSync } from 'node:fs'

// getconf CLK_TCK: 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100

// utime + stime: fields 14 and 15, counted after the command name (which may hold spaces).
function statSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

export function cpuSeconds(pid: number): number {
  return statSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

// Every process named postgres (the server's backends and workers) on this machine, by pid.
export function postgresCpuSeconds(): Map<number, number> {
  const seconds = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.includes('(postgres)')) seconds.set(Number(entry), statSeconds(stat))
    } catch {
      // gone meanwhile
    }
  }
  return seconds
}

// What the server spent between two readings: a backend that ended meanwhile took its time
// with it (counted from zero for one that started).
export function postgresCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0)
  return total
}
