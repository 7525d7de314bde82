// The scale bench's two Keyturns: each on a store of its own, seeded by SQL, started as
// `npm start` starts it, with the most memory it has held so far.
import type autocannon from 'autocannon'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchEnv, freshPostgresSchema, keyturnCli, peakRssMb, startKeyturn, stopAndWait, type RunningKeyturn } from './keyturn-process.js'
import { freePort } from './processes.js'
import { openScaleStore, seedScaleStore, type ScaleStore } from './scale-seed.js'
import type { Load } from './timed-load.js'

export interface ScaleOptions {
  users: number
  small: number
  store: 'sqlite' | 'postgres'
  postgresUrl: string
  duration: number
  slice: number
  runs: number
  load: Load
  output: string
  settings: Record<string, string>
  extraNodeArgs: string[]
  // Some of SCALE_PHASES only (all when undefined).
  phases?: string[] | undefined
}

export interface Side {
  name: 'small' | 'large'
  users: number
  env: NodeJS.ProcessEnv
  dataDir: string
  logPath: string
  store: ScaleStore
  drop?: () => Promise<void>
  keyturn?: RunningKeyturn
  peakRss: number
  // The refresh scenario's chains, which the flush goes on with (a seeded token is used once).
  refreshChains?: () => autocannon.Request[]
}

export const running = (side: Side): RunningKeyturn => {
  if (!side.keyturn) throw new Error(`${side.name} Keyturn is not running`)
  return side.keyturn
}

export async function openSide(name: Side['name'], users: number, o: ScaleOptions, signingKey: string, sharedHash: string): Promise<Side> {
  const dataDir = mkdtempSync(join(tmpdir(), `keyturn-scale-${name}-`))
  const schema = o.store === 'postgres' ? await freshPostgresSchema(o.postgresUrl) : undefined
  const databaseUrl = schema?.url ?? `sqlite:${join(dataDir, 'keyturn.sqlite')}`
  const env = benchEnv(databaseUrl, dataDir, signingKey, await freePort(), o.settings)
  keyturnCli(['migrate'], env)
  const store = await openScaleStore(databaseUrl)
  const started = Date.now()
  await seedScaleStore(store, users, sharedHash, Date.now())
  console.log(`  ${name}: ${users} users, ${2 * users} sessions, ${5 * users} refresh tokens seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return { name, users, env, dataDir, logPath: join(dataDir, 'keyturn.log'), store, ...(schema ? { drop: schema.drop } : {}), peakRss: 0 }
}

export async function notePeak(side: Side): Promise<void> {
  if (side.keyturn) side.peakRss = Math.max(side.peakRss, (await peakRssMb(side.keyturn.pid)) ?? 0)
}

export async function restart(side: Side, o: ScaleOptions): Promise<RunningKeyturn> {
  if (side.keyturn) {
    await notePeak(side)
    await stopAndWait(side.keyturn.child)
  }
  side.keyturn = await startKeyturn(side.env, side.logPath, o.extraNodeArgs)
  return side.keyturn
}

