// Runs Keyturn's entry points (cli/index.ts, server.ts) as real child processes, the way an
// operator would, and makes sure none of them outlives its test.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { EnvSchema } from '../fastify.config.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface Teardown {
  teardown(fn: () => unknown): void
}

// The parent's environment without anything that configures Keyturn (or tells autoload a
// TypeScript loader is active: the test helper sets that for in-process apps), plus `extra`.
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const configKeys = new Set(Object.keys(EnvSchema.properties))
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (configKeys.has(key) || key.startsWith('KEYTURN_')) continue
    if (key === 'NODE_OPTIONS' || key === 'FASTIFY_AUTOLOAD_TYPESCRIPT') continue
    env[key] = value
  }
  // Servers of tests running side by side must not all listen on the metrics' 9464.
  return { ...env, KEYTURN_METRICS_PORT: '0', ...extra }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunResult extends Exit {
  stdout: string
  stderr: string
}

export interface Running {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  exited: Promise<Exit>
  // Resolves with the output so far once `pattern` appears on stdout or stderr; rejects when
  // the process exits first or `ms` pass.
  waitFor(pattern: RegExp, ms: number): Promise<string>
}

const RUNS_AT_ONCE = 2

// Every process started through a tracker is SIGKILLed at teardown if it is still running.
export class ChildTracker {
  private readonly live = new Set<ChildProcessWithoutNullStreams>()
  private runs = 0
  private readonly waiting: Array<() => void> = []

  constructor(t: Teardown) {
    t.teardown(() => this.killAll())
  }

  start(script: string, args: string[], env: Record<string, string>): Running {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: 'pipe' })
    this.live.add(child)
    let stdout = ''
    let stderr = ''
    const listeners = new Set<() => void>()
    const notify = () => {
      for (const fn of listeners) fn()
    }
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      notify()
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      notify()
    })
    // A child that exits before reading its input must not crash the test with EPIPE.
    child.stdin.on('error', () => {})
    let done = false
    const exited = new Promise<Exit>((resolve, reject) => {
      child.once('error', (err) => {
        this.live.delete(child)
        done = true
        reject(err)
        notify()
      })
      child.once('close', (code, signal) => {
        this.live.delete(child)
        done = true
        resolve({ code, signal })
        notify()
      })
    })
    // Callers that never await `exited` must not see an unhandled rejection.
    exited.catch(() => {})
    const waitFor = (pattern: RegExp, ms: number) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const all = stdout + stderr
          if (pattern.test(all)) finish(() => resolve(all))
          else if (done) finish(() => reject(new Error(`process exited before ${pattern} appeared; output:\n${all}`)))
        }
        const timer = setTimeout(() => finish(() => reject(new Error(`${pattern} did not appear within ${ms} ms; output:\n${stdout + stderr}`))), ms)
        const finish = (fn: () => void) => {
          clearTimeout(timer)
          listeners.delete(check)
          fn()
        }
        listeners.add(check)
        check()
      })
    return { child, stdout: () => stdout, stderr: () => stderr, exited, waitFor }
  }

  // Runs to completion with `input` on stdin (stdin is closed either way), killed after `ms`.
  // At most RUNS_AT_ONCE at a time, each timed from its own start: eight commands started
  // together beside the suite's other files (each compiling TypeScript through tsx) took more
  // than 30 s on a 2-core machine, and were killed as hung.
  async run(script: string, args: string[], env: Record<string, string>, input = '', ms = 30_000): Promise<RunResult> {
    while (this.runs >= RUNS_AT_ONCE) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.runs++
    try {
      const running = this.start(script, args, env)
      running.child.stdin.end(input)
      const timer = setTimeout(() => running.child.kill('SIGKILL'), ms)
      try {
        const exit = await running.exited
        return { ...exit, stdout: running.stdout(), stderr: running.stderr() }
      } finally {
        clearTimeout(timer)
      }
    } finally {
      this.runs--
      this.waiting.shift()?.()
    }
  }

  killAll(): void {
    for (const child of this.live) child.kill('SIGKILL')
  }
}

// A port nothing listens on now, for a server of a test's own.
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
