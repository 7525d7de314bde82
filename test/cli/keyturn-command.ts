// What the tests of the `keyturn` command share: the settings its children run with, the app
// on the store they write to, and what a refusal looks like.
import type { FastifyInstance } from 'fastify'
import type t from 'tap'
import { buildApp } from '../../app.js'
import { loadConfig } from '../../fastify.config.js'
import { ChildTracker, childEnv, type RunResult } from '../child-processes.js'
import { freshStore, TEST_ENV, type StoreName } from '../helper.js'

// Each child pays for tsx and the module graph; on a busy machine that adds up (on a 2-core
// machine whose process starts take 1.4 s, one store's commands took about 150 s).
export const CLI_TEST_TIMEOUT_MS = 600_000

export type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

export const LOW_ARGON2 = { KEYTURN_ARGON2_MEMORY_KIB: '1024', KEYTURN_ARGON2_TIME_COST: '1' }
export const ALICE_PW = 'alice: correct horse battery staple'
export const BOB_PW = ' bob pw, spaces kept '
export const BOB_NEW_PW = 'bob new password 2'

// The app on a store the CLI also writes to (same URL, same data folder).
export async function buildOn(url: string, dataDir: string): Promise<FastifyInstance> {
  return buildApp(loadConfig({ ...TEST_ENV, KEYTURN_DATABASE_URL: url, KEYTURN_DATA_DIR: dataDir }))
}

// A failure an operator can act on: non-zero exit (not a crash by signal), one `keyturn:`
// line naming the problem, no stack trace.
export function refused(t: Tap, r: RunResult, message: RegExp, what: string): void {
  t.ok(r.code !== null && r.code !== 0, `${what}: exits non-zero (got ${r.code}/${r.signal}); stderr: ${r.stderr}`)
  t.match(r.stderr, /^keyturn: /, `${what}: stderr starts with keyturn:`)
  t.match(r.stderr, message, `${what}: clear message`)
  t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`)
}

export function neverLeaks(t: Tap, r: RunResult, secrets: string[], what: string): void {
  const out = r.stdout + r.stderr
  t.notMatch(out, /\$argon2/, `${what}: no hash in the output`)
  for (const secret of secrets) t.notOk(out.includes(secret), `${what}: the password is not echoed`)
}

// A fresh store for `keyturn` children to run on: their environment, and apps on the same
// store to check what they did. At teardown the children are killed, the apps closed and the
// store removed.
export interface CliStore {
  s: { url: string; dataDir: string }
  procs: ChildTracker
  env: Record<string, string>
  open: () => Promise<FastifyInstance>
}

export function onFreshStore(t: Tap, store: StoreName): CliStore {
  const s = freshStore(store)
  const procs = new ChildTracker(t)
  const apps: FastifyInstance[] = []
  t.teardown(async () => {
    procs.killAll()
    for (const app of apps) await app.close()
    await s.cleanup()
  })
  const env = childEnv({ NODE_ENV: 'test', KEYTURN_DATABASE_URL: s.url, KEYTURN_DATA_DIR: s.dataDir, ...LOW_ARGON2 })
  const open = async () => {
    const app = await buildOn(s.url, s.dataDir)
    apps.push(app)
    return app
  }
  return { s, procs, env, open }
}
