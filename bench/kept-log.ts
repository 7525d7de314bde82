// What explains a run's non-2xx answers, kept beside its report: the bench removes Keyturn's
// store and log when it ends, and once an introspect run answered 265 non-2xx that three
// runs after it did not repeat, with nothing left to say why. Kept: the access lines whose
// status is not 2xx, and every line at warn or above (the access log holds route templates
// and ids, never a token), the first MAX_LINES of them, with a count by route and status.
import { writeFileSync } from 'node:fs'

const MAX_LINES = 2000

// An access line that was not 2xx, or any line at warn or above.
export function isUnexpected(line: string): boolean {
  const status = /"status":(\d+)/.exec(line)?.[1]
  return (status !== undefined && !status.startsWith('2')) || Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0) >= 40
}

export function keepUnexpectedLines(log: string, file: string): { lines: number; byRouteAndStatus: Record<string, number> } {
  const kept: string[] = []
  const byRouteAndStatus: Record<string, number> = {}
  let lines = 0
  for (const line of log.split('\n')) {
    if (!isUnexpected(line)) continue
    const status = /"status":(\d+)/.exec(line)?.[1]
    lines++
    if (status !== undefined) {
      const key = `${/"method":"([A-Z]+)"/.exec(line)?.[1] ?? '?'} ${/"route":("[^"]*"|null)/.exec(line)?.[1] ?? '?'} ${status}`
      byRouteAndStatus[key] = (byRouteAndStatus[key] ?? 0) + 1
    }
    if (kept.length < MAX_LINES) kept.push(line)
  }
  writeFileSync(file, `${JSON.stringify({ lines, byRouteAndStatus })}\n${kept.join('\n')}\n`)
  return { lines, byRouteAndStatus }
}
