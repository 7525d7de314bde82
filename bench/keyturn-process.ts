// Keyturn as the bench runs it: started as `npm start` starts it (its node flags, through the
// launcher that sizes libuv's pool), in production, with what a user gets by default but for
// the per-IP limits, which the README tells load testers to lift. Also the children the bench
// starts, stopped when it ends, and a Postgres schema of the bench's own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { freePort, waitForHttp } from './processes.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DIST = join(ROOT, 'dist')
export const PASSWORD = 'load-test-password'
// The node flags `npm start` passes (package.json's start script), so that the bench runs
// Keyturn as users do.
const START_SCRIPT = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? ''
export const NPM_START_NODE_ARGS = (/node ((?:--\S+ )*)bin\/keyturn-server\.cjs/.exec(START_SCRIPT)?.[1] ?? '').split(' ').filter(Boolean)

const children: ChildProcess[] = []

export function stopChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
}

export async function stopAndWait(only?: ChildProcess): Promise<void> {
  const running = (only ? [only] : children).filter((child) => child.exitCode === null && child.signalCode === null)
  const exited = running.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())))
  for (const child of running) child.kill('SIGTERM')
  await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
}

// Starts a child and resolves with the first line it prints that matches.
export function startChild(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => ready.test(l))
      if (line) resolve({ child, line })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${out.slice(-2000)}`)))
  })
}

export async function freshPostgresSchema(base: string): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `kt_bench_${randomBytes(4).toString('hex')}`
  const url = new URL(base)
  url.searchParams.set('schema', schema)
  return {
    url: url.toString(),
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: base })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    },
  }
}

// Linux keeps the peak RSS in VmHWM; writing 5 to clear_refs starts a new peak.
export function resetPeakRss(pid: number): void {
  try {
    spawnSync('sh', ['-c', `echo 5 > /proc/${pid}/clear_refs`])
  } catch {
    // not Linux or not permitted: the peak then covers the whole run
  }
}

async function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
}

export const peakRssMb = (pid: number): Promise<number | null> => statusMb(pid, 'VmHWM')
export const rssMb = (pid: number): Promise<number | null> => statusMb(pid, 'VmRSS')

// The environment Keyturn runs with in the bench, on the given store; `set` holds the
// settings of --set, applied last.
export function benchEnv(databaseUrl: string, dataDir: string, signingKey: string, metricsPort: number, set: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    // A port of its own rather than 9464, where another instance may be listening.
    KEYTURN_METRICS_PORT: String(metricsPort),
    KEYTURN_SIGNING_KEY: signingKey,
    KEYTURN_DATABASE_URL: databaseUrl,
    KEYTURN_DATA_DIR: dataDir,
    // One load generator is one address: the per-IP limits would measure themselves.
    KEYTURN_LOGIN_RATE_LIMIT: '0',
    KEYTURN_REFRESH_RATE_LIMIT: '0',
    KEYTURN_VERIFY_RATE_LIMIT: '0',
    KEYTURN_BLACKLIST_RATE_LIMIT: '0',
    ...set,
  }
}

export interface RunningKeyturn {
  child: ChildProcess
  pid: number
  url: string
  // From the spawn to the first answer over HTTP.
  startMs: number
}

// Keyturn's log (a line per request) goes to a file, as a process manager would keep it; its
// errors still reach this terminal.
export async function startKeyturn(env: NodeJS.ProcessEnv, logPath: string, extraNodeArgs: string[] = []): Promise<RunningKeyturn> {
  const port = await freePort()
  const logFd = openSync(logPath, 'a')
  const started = performance.now()
  const child = spawn(process.execPath, [...NPM_START_NODE_ARGS, ...extraNodeArgs, join(ROOT, 'bin', 'keyturn-server.cjs')], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', logFd, 'inherit'],
  })
  closeSync(logFd)
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health-check-404`, child, 10)
  return { child, pid: child.pid as number, url, startMs: performance.now() - started }
}

// A CLI command of Keyturn's (dist/cli) against the bench's store.
export function keyturnCli(args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const out = spawnSync(process.execPath, [join(DIST, 'cli', 'index.js'), ...args], { cwd: ROOT, env, encoding: 'utf8', ...(input === undefined ? {} : { input }) })
  if (out.status !== 0) throw new Error(`keyturn ${args[0]} failed: ${out.stderr}`)
  return out.stdout
}
