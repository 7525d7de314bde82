// What explains a run's non-2xx answers, kept beside its report: the bench removes Keyturn's
// store and log when it ends, and once an introspect run answered 265 non-2xx that three
// runs after it did not repeat, with nothing left to say why. Kept: the access lines whose
// status is not 2xx, and every line at warn or above (the access log holds route templates
// and ids, never a token), the first MAX_LINES of them, with a count of all by route and status.
import { writeFileSync } from 'node:fs'

const MAX_LINES = 2000

export class UnexpectedLines {
  lines = 0
  readonly byRouteAndStatus: Record<string, number> = {}
  readonly #kept: string[] = []

  // One line of Keyturn's log, fed in order.
  add(line: string): void {
    const status = /"status":(\d+)/.exec(line)?.[1]
    const unexpected = (status !== undefined && !status.startsWith('2')) || Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0) >= 40
    if (!unexpected) return
    this.lines++
    if (status !== undefined) {
      const key = `${/"method":"([A-Z]+)"/.exec(line)?.[1] ?? '?'} ${/"route":("[^"]*"|null)/.exec(line)?.[1] ?? '?'} ${status}`
      this.byRouteAndStatus[key] = (this.byRouteAndStatus[key] ?? 0) + 1
    }
    if (this.#kept.length < MAX_LINES) this.#kept.push(line)
  }

  // The counts on the first line, then the lines kept.
  write(file: string): void {
    writeFileSync(file, `${JSON.stringify({ lines: this.lines, byRouteAndStatus: this.byRouteAndStatus })}\n${this.#kept.join('\n')}\n`)
  }
}
