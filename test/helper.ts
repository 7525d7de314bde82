// Builds the real app from fastify.config.ts on a fresh store for each test, and closes it
// (dropping the Postgres schema) on teardown. Store-dependent tests loop over `stores()`:
// SQLite always, Postgres too when KEYTURN_TEST_POSTGRES_URL is set (and then it must be
// reachable: an unreachable server fails the run rather than skipping it).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { buildApp } from '../app.js'
import type { KeyturnPlugin } from '../plugins/extensions/load-plugins.js'
import type { NewAccount } from '../plugins/accounts/accounts.js'
import { loadConfig } from '../fastify.config.js'

import { ensurePostgresSchema, openStore, type Store, type StoreOptions } from '../plugins/infra/store/connect.js'
import type { User } from '../plugins/users/tables.js'
import { migrateToLatest } from '../plugins/infra/store/migrate.js'

export type StoreName = 'sqlite' | 'postgres'

export const TEST_SIGNING_KEY = 'test-signing-key-0123456789abcdef0123456789abcdef'
export const PASSWORD = 'correct horse battery staple'

interface Teardown {
  teardown(fn: () => unknown): void
}


export function stores(): StoreName[] {
  return process.env.KEYTURN_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite']
}

// A database URL on a store of its own, and how to remove it afterwards.
export function freshStore(store: StoreName): { url: string; dataDir: string; cleanup: () => Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyturn-test-'))
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true })
  if (store === 'sqlite') {
    return { url: `sqlite:${join(dataDir, 'keyturn.sqlite')}`, dataDir, cleanup: async () => removeDir() }
  }
  const base = process.env.KEYTURN_TEST_POSTGRES_URL as string
  const schema = `kt_test_${randomBytes(6).toString('hex')}`
  const url = new URL(base)
  url.searchParams.set('schema', schema)
  return {
    url: url.toString(),
    dataDir,
    cleanup: async () => {
      removeDir()
      const client = new pg.Client({ connectionString: base })
      await client.connect()
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      } finally {
        await client.end()
      }
    },
  }
}

// A migrated store of its own, without the app, closed and removed on teardown.
export async function migratedStore(t: Test, kind: StoreName, opts: StoreOptions = {}): Promise<Store & { url: string }> {
  const { url, cleanup } = freshStore(kind)
  if (kind === 'postgres') await ensurePostgresSchema(url)
  const store = openStore(url, opts)
  t.teardown(async () => {
    await store.close()
    await cleanup()
  })
  const migrated = await migrateToLatest(store.db, store.schema)
  if (migrated.error) throw migrated.error
  return { ...store, url }
}

function sharedStore(url: string): { url: string; dataDir: string; cleanup: () => Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyturn-test-'))
  return { url, dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) }
}

// Cheap argon2 parameters keep the suite fast; tests about hashing set their own.
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  KEYTURN_SIGNING_KEY: TEST_SIGNING_KEY,
  KEYTURN_ARGON2_MEMORY_KIB: '1024',
  KEYTURN_ARGON2_TIME_COST: '1',
  KEYTURN_REVOCATION_POLL_MS: '100',
  // Tests log in many times from one address; rate-limit tests set their own limit.
  KEYTURN_LOGIN_RATE_LIMIT: '0',
  KEYTURN_REFRESH_RATE_LIMIT: '0',
  KEYTURN_VERIFY_RATE_LIMIT: '0',
  KEYTURN_BLACKLIST_RATE_LIMIT: '0',
  KEYTURN_LOGIN_FREE_FAILURES: '1000',
  // Two tests' apps must not both listen on 9464; the metrics tests pick a port of their own.
  KEYTURN_METRICS_PORT: '0',
}

// `url` builds a second instance on the store of another app (app.config.KEYTURN_DATABASE_URL),
// as a second process would; that store is left to its owner to remove.
export async function build(
  t: Teardown,
  options: { store?: StoreName; env?: Record<string, string>; url?: string; plugins?: KeyturnPlugin[] } = {},
): Promise<FastifyInstance> {
  const store = options.url === undefined ? freshStore(options.store ?? 'sqlite') : sharedStore(options.url)
  const config = loadConfig({
    ...TEST_ENV,
    KEYTURN_DATABASE_URL: store.url,
    KEYTURN_DATA_DIR: store.dataDir,
    ...options.env,
  })
  let app: FastifyInstance
  try {
    app = await buildApp(config, { plugins: options.plugins ?? [] })
  } catch (err) {
    await store.cleanup()
    throw err
  }
  t.teardown(async () => {
    await app.close()
    await store.cleanup()
  })
  return app
}

export async function createUser(app: FastifyInstance, account: Partial<NewAccount> = {}): Promise<User> {
  const username = account.username ?? `user_${randomBytes(4).toString('hex')}`
  return app.accounts.create({
    email: `${username}@example.com`,
    password: PASSWORD,
    ...account,
    username,
  })
}

export interface Pair {
  access: string
  refresh: string
  session_id: number
  user_id: number
}

export async function login(
  app: FastifyInstance,
  username: string,
  password = PASSWORD,
  extra: Record<string, unknown> = {},
): Promise<Pair> {
  const res = await app.inject({ method: 'POST', url: '/api/token/', payload: { username, password, ...extra } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json<Pair>()
}

export function post(app: FastifyInstance, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

// The contract's answer when the store is down.
export const UNAVAILABLE = { detail: 'Service temporarily unavailable, try again later.', code: 'service_unavailable' }

export function json(res: LightMyRequestResponse): unknown {
  return JSON.parse(res.body)
}

// Builds a signed token with arbitrary claims/header, for forged-token tests.
export function base64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

// An HMAC JWT with any header and claims (the hash follows header.alg), for forged tokens.
export function signJwt(header: { alg?: unknown; [name: string]: unknown }, claims: object, key = TEST_SIGNING_KEY): string {
  const input = `${base64url(header)}.${base64url(claims)}`
  const hash = header.alg === 'HS512' ? 'sha512' : header.alg === 'HS384' ? 'sha384' : 'sha256'
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

// A 401 with exactly this body (nothing else in it) and the contract's challenge header.
export function expect401(t: Test, res: LightMyRequestResponse, body: object, msg = ''): void {
  t.equal(res.statusCode, 401, `${msg} status`)
  t.strictSame(res.json(), body, `${msg} body`)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api"', `${msg} www-authenticate`)
}

// Everything a token route could write, to show that a refused request wrote nothing.
export async function storeSnapshot(app: FastifyInstance) {
  return {
    tokens: await app.db.selectFrom('refresh_tokens').selectAll().orderBy('jti').execute(),
    sessions: await app.db.selectFrom('sessions').selectAll().orderBy('id').execute(),
    revocations: await app.db.selectFrom('revocations').selectAll().orderBy('id').execute(),
  }
}
