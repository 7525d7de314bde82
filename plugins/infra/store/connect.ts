// Opens the store named by a URL: `sqlite:<path>` (better-sqlite3, WAL) or
// `postgres://...` (a pg pool). `?schema=name` on a Postgres URL keeps every table in that
// schema, which is how the tests give each run a clean database.
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, type KyselyConfig, type SqliteDatabase } from 'kysely'
import type pg from 'pg'
import type { ChangeSignal } from './change-signal.js'
import { pgNotices } from './pg-notices.js'
import { preparingPool } from './pg-prepared.js'
import { sqliteCommits } from './sqlite-commits.js'
import type { Database } from './database.js'
import { GroupCommitDriver, GroupCommitSqliteDialect } from './sqlite-group-commit.js'

export type StoreKind = 'sqlite' | 'postgres'

export interface StoreOptions {
  sqliteSynchronous?: 'FULL' | 'NORMAL'
  // better-sqlite3 waits synchronously: the event loop stalls for up to this long.
  sqliteBusyTimeoutMs?: number
  // Each connection's page cache. better-sqlite3 builds SQLite with 16 MB, which a growing
  // store fills slowly (RSS then rises for half an hour before it levels off); a bound of
  // Keyturn's own keeps the process's memory flat sooner and says what it is.
  sqliteCacheMb?: number
  poolSize?: number
  // Postgres: the hot statements prepared once per connection (pg-prepared.ts).
  preparedStatements?: boolean
  log?: KyselyConfig['log']
}

// What the metrics read of the store.
export interface StoreStats {
  // Postgres: the pool's connections (open, idle, max) and the queries waiting for one.
  pool?: () => { total: number; idle: number; waiting: number; max: number }
  // SQLite on a file: told the size of every committed group-commit batch.
  onCommitBatch?: (listener: (members: number) => void) => void
}

export interface Store {
  db: Kysely<Database>
  kind: StoreKind
  // The Postgres schema named in the URL, if any.
  schema?: string
  stats: StoreStats
  // Word that a table may have changed (change-signal.ts): on Postgres the notices on
  // `channel` that a trigger of the table sends, on a SQLite file any commit; none in memory.
  changes?: (channel: string) => ChangeSignal
  close(): Promise<void>
}

// The Postgres driver, loaded when a Postgres store is opened: an instance on SQLite does not
// carry it (with ioredis, also loaded only when used: 2-4 MB of RSS at the start here).
const require = createRequire(import.meta.url)
const postgresDriver = (): typeof pg => require('pg') as typeof pg

const INT8_OID = 20

// Ids, counts and epoch-millisecond times are int8 in Postgres; all fit a JS number.
function pgTypes(): pg.CustomTypesConfig {
  const { types } = postgresDriver()
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (v: string) => Number(v) : types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  }
}

export function sqlitePath(url: string): string {
  return url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
}

// better-sqlite3 compiles a statement on every prepare(); Kysely calls prepare() for every
// query. Keeping compiled statements by SQL text makes each query after the first a bind
// and a step. The app's SQL texts are few (parameters are bound, never inlined).
const STATEMENT_CACHE_LIMIT = 1000

function withStatementCache(database: SQLite.Database): SqliteDatabase & { prepare(sql: string): SQLite.Statement } {
  const statements = new Map<string, SQLite.Statement>()
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (!statement) {
        statement = database.prepare(sql)
        if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear()
        statements.set(sql, statement)
      }
      return statement
    },
  }
}

const busyTimeoutMs = (opts: StoreOptions): number => opts.sqliteBusyTimeoutMs ?? 5000

function openSqliteConnection(path: string, opts: StoreOptions): SQLite.Database {
  const database = new SQLite(path)
  // Takes effect only on a new file (before its first table): deleted rows' pages can then
  // be given back to the disk a few at a time (sqlite-space.ts).
  database.pragma('auto_vacuum = INCREMENTAL')
  database.pragma('journal_mode = WAL')
  // NORMAL in WAL mode survives a crash of the process (kill -9); only a power cut can
  // lose the last transactions. FULL trades throughput for that last guarantee.
  database.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'NORMAL'}`)
  database.pragma(`busy_timeout = ${busyTimeoutMs(opts)}`)
  database.pragma('foreign_keys = ON')
  database.pragma(`cache_size = ${-1024 * (opts.sqliteCacheMb ?? 4)}`)
  return database
}

// A file gets a writer connection with group commit and a reader connection for reads
// outside transactions (see sqlite-group-commit.ts); an in-memory database, which a second
// connection could not see, gets Kysely's plain single-connection driver.
function openSqlite(url: string, opts: StoreOptions): Store {
  const path = sqlitePath(url)
  let dialect: SqliteDialect
  const stats: StoreStats = {}
  if (path === ':memory:') {
    dialect = new SqliteDialect({ database: withStatementCache(openSqliteConnection(path, opts)) })
  } else {
    mkdirSync(dirname(path), { recursive: true })
    const writer = openSqliteConnection(path, opts)
    // The group commit waits for another process's lock itself, off the event loop.
    writer.pragma('busy_timeout = 0')
    const reader = openSqliteConnection(path, opts)
    const batchListeners: Array<(members: number) => void> = []
    stats.onCommitBatch = (listener) => void batchListeners.push(listener)
    dialect = new GroupCommitSqliteDialect(
      () =>
        new GroupCommitDriver(
          writer,
          withStatementCache(writer),
          withStatementCache(reader),
          () => {
            reader.close()
            writer.close()
          },
          (members) => {
            for (const listener of batchListeners) listener(members)
          },
          busyTimeoutMs(opts),
        ),
    )
  }
  const db = new Kysely<Database>({ dialect, log: opts.log })
  return { db, kind: 'sqlite', stats, ...(path === ':memory:' ? {} : { changes: () => sqliteCommits(path) }), close: () => db.destroy() }
}

function openPostgres(url: string, opts: StoreOptions): Store {
  const parsed = new URL(url)
  const schema = parsed.searchParams.get('schema')
  parsed.searchParams.delete('schema')
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name in database URL')
  const connection = {
    connectionString: parsed.toString(),
    connectionTimeoutMillis: 3000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  }
  const pool = new (postgresDriver().Pool)({ ...connection, max: opts.poolSize ?? 10, types: pgTypes() })
  // A client losing its connection (idle in the pool, or checked out between queries) must
  // not crash the process with an unhandled 'error' event: the next query on it reports
  // the outage instead, and the pool replaces it.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: opts.preparedStatements === false ? pool : preparingPool(pool) }), log: opts.log })
  const max = opts.poolSize ?? 10
  const stats: StoreStats = { pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }) }
  // The notices' connection is kept alive by TCP too: it may sit idle for hours.
  // Named, so that an operator can tell it in pg_stat_activity (and a test can end it).
  const changes = (channel: string): ChangeSignal =>
    pgNotices(postgresDriver(), { ...connection, keepAlive: true, application_name: `keyturn notices ${schema ?? ''}`.trim() }, channel)
  return { db, kind: 'postgres', ...(schema ? { schema } : {}), stats, changes, close: () => db.destroy() }
}

export function openStore(url: string, opts: StoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url, opts)
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, opts)
  throw new Error('KEYTURN_DATABASE_URL must start with sqlite: or postgres://')
}

// Creates the schema named in a Postgres URL, so migrations have somewhere to run.
export async function ensurePostgresSchema(url: string): Promise<void> {
  const parsed = new URL(url)
  const schema = parsed.searchParams.get('schema')
  if (!schema) return
  parsed.searchParams.delete('schema')
  const client = new (postgresDriver().Client)({ connectionString: parsed.toString(), connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '')}"`)
  } finally {
    await client.end()
  }
}
