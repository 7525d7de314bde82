// What every `keyturn` command shares: its errors, how it reads a password, how it reads a
// time, and a progress bar for long work.
import { SingleBar } from 'cli-progress'
import { Option } from 'commander'
import { keyturnPackage } from '../plugins/infra/package-root.js'

// Bad input: exit code 2, one line naming the problem.
export class UsageError extends Error {
  override name = 'UsageError'
}

// Options a command requires but checks itself (commander's own check would run before it
// refuses unknown options, and a `--password x` must be told apart from a forgotten
// --password-stdin). The synopsis in `keyturn --help` shows them as required.
export const requiredByCommand = new WeakSet<Option>()

export function passwordStdinOption(what = 'the password'): Option {
  const option = new Option('--password-stdin', `read ${what} from standard input (required)`)
  requiredByCommand.add(option)
  return option
}

export function requirePasswordStdin(opts: { passwordStdin?: boolean }, command: string): void {
  if (opts.passwordStdin !== true) throw new UsageError(`${command} needs --password-stdin (passwords are never taken as arguments)`)
}

export async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (end with Enter, then Ctrl-D): ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  // `echo pw |` appends one newline; everything else is the password, byte for byte.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

// A date (midnight UTC) or a date-time with Z or an offset; Date.parse alone guesses
// ("1" is 2001, 2030-02-30 is March 2nd), so the shape and the calendar day are checked.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/

export function parseIsoTime(option: string, value: string): number {
  const match = ISO_8601.exec(value.trim())
  const ms = match ? Date.parse(value.trim()) : NaN
  const [, y, m, d] = match ?? []
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  const realDay = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(m) - 1 && day.getUTCDate() === Number(d)
  if (Number.isNaN(ms) || !realDay) {
    throw new UsageError(`${option}: not an ISO 8601 date or date-time (e.g. 2030-01-31 or 2030-01-31T12:00:00Z): ${value}`)
  }
  return ms
}

// A progress bar on a terminal; nothing when the output is a file or a pipe.
export function progressBar(total: number): ((done: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  const bar = new SingleBar({ stream: process.stderr, format: '[{bar}] {value}/{total}', hideCursor: true })
  bar.start(total, 0)
  return (done) => {
    bar.update(done)
    if (done >= total) bar.stop()
  }
}

// The version in Keyturn's package.json.
export function packageVersion(): string {
  try {
    return keyturnPackage().version
  } catch {
    return 'unknown'
  }
}
