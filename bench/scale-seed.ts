// The scale bench's store, written by SQL in a few statements: N users sharing ONE password
// hash (load tests only: no real account may share a salt), two live sessions each, and five
// refresh-token rows for every two sessions (chains of two and three: the older ones rotated,
// the last live). Then, when a scenario asks, expired sessions to flush and a busy revocation
// log. Ids are given, so a token can be minted for any of them (scale-tokens.ts):
//
//   user u       sessions 2u-1 and 2u
//   session s    refresh rows jti(s, 0..c-1), c = 3 for odd s, 2 for even; jti(s, c-1) live
import Database from 'better-sqlite3'
import pg from 'pg'

export const DAY = 86_400_000
const HOUR = 3_600_000

export interface ScaleStore {
  readonly dialect: 'sqlite' | 'postgres'
  run(text: string, params?: unknown[]): Promise<void>
  // The first column of the first row, as a number.
  value(text: string): Promise<number>
  close(): Promise<void>
}

// The store behind a Keyturn URL (`sqlite:<file>` or a postgres URL with ?schema=).
export async function openScaleStore(databaseUrl: string): Promise<ScaleStore> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    return {
      dialect: 'sqlite',
      run: async (text, params = []) => {
        const statement = db.prepare(text)
        if (statement.reader) statement.all(...params)
        else statement.run(...params)
      },
      value: async (text) => Number(db.prepare(text).pluck().get()),
      close: async () => void db.close(),
    }
  }
  const url = new URL(databaseUrl)
  const schema = url.searchParams.get('schema')
  url.searchParams.delete('schema')
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  if (schema) await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`)
  return {
    dialect: 'postgres',
    run: async (text, params = []) => void (await client.query(text, params)),
    value: async (text) => Number(Object.values((await client.query(text)).rows[0] ?? {})[0]),
    close: () => client.end(),
  }
}

// The live refresh token of session s, and a jti of any row: 32 hex digits, as Keyturn's.
export const liveTokenIndex = (s: number): number => (s % 2 === 1 ? 2 : 1)
export const seededJti = (s: number, t: number): string => (s * 4 + t).toString(16).padStart(32, '0')

// Rows 1..count as a series (64-bit on Postgres, where times overflow an int), and the
// text of seededJti in SQL. Every number in these statements is the bench's own, checked to
// be a whole number before it is written in.
const int = (n: number): string => {
  if (!Number.isSafeInteger(n)) throw new Error(`not a whole number: ${n}`)
  return String(n)
}
const series = (store: ScaleStore, column: string, count: number): { with: string; from: string } =>
  store.dialect === 'sqlite'
    ? { with: `WITH RECURSIVE n(${column}) AS (SELECT 1 UNION ALL SELECT ${column} + 1 FROM n WHERE ${column} < ${int(count)})`, from: 'n' }
    : { with: '', from: `generate_series(1::bigint, ${int(count)}) AS n(${column})` }
const jtiSql = (store: ScaleStore, index: string): string =>
  store.dialect === 'sqlite' ? `printf('%032x', ${index})` : `lpad(to_hex(${index}), 32, '0')`
// Session id -> its user, for users 1..users (live sessions 2u-1 and 2u; expired ones wrap).
const userOf = (id: string, users: number): string => `((${id}) - 1) / 2 % ${int(users)} + 1`

// A fresh, migrated store: users, their sessions and their refresh tokens.
export async function seedScaleStore(store: ScaleStore, users: number, sharedHash: string, now: number): Promise<void> {
  const pgStore = store.dialect === 'postgres'
  // The insert trigger logs every new user for the instances to forget; none has run yet.
  if (pgStore) await store.run('ALTER TABLE users DISABLE TRIGGER users_inserted')
  const u = series(store, 'i', users)
  await store.run(
    `${u.with} INSERT INTO users (id, username, email, password_hash, client_id, date_joined, created_at, updated_at)
     SELECT i, 'load' || i, 'load' || i || '@load.example', ${pgStore ? '$1' : '?'}, NULL, ${int(now)}, ${int(now)}, ${int(now)} FROM ${u.from}`,
    [sharedHash],
  )
  if (pgStore) await store.run('ALTER TABLE users ENABLE TRIGGER users_inserted')
  else await store.run("DELETE FROM revocations WHERE kind = 'user'")
  await insertSessions(store, users, 1, 2 * users, { createdAt: now - DAY, expiresAt: now + 29 * DAY, lastActivity: now })
  const s = series(store, 's', 2 * users)
  // Chains: c rows for session s, t = 0..c-1, each rotated into the next but the last.
  const issued = `${int(now)} - (c - t) * ${HOUR}`
  await store.run(
    `${s.with} INSERT INTO refresh_tokens (jti, session_id, user_id, issued_at, expires_at, rotated_at, replaced_by, blacklisted_at)
     SELECT ${jtiSql(store, 's * 4 + t')}, s, ${userOf('s', users)}, ${issued}, ${issued} + ${7 * DAY},
            CASE WHEN t = c - 1 THEN NULL ELSE ${issued} + ${HOUR} END,
            CASE WHEN t = c - 1 THEN NULL ELSE ${jtiSql(store, 's * 4 + t + 1')} END, NULL
     FROM (SELECT s, t, 2 + s % 2 AS c FROM ${s.from} CROSS JOIN (SELECT 0 AS t UNION ALL SELECT 1 UNION ALL SELECT 2) AS k) AS chain
     WHERE t < c ORDER BY s, t`,
  )
  await settle(store)
}

// Sessions from..to of users 1..users.
async function insertSessions(store: ScaleStore, users: number, from: number, to: number, times: { createdAt: number; expiresAt: number; lastActivity: number }): Promise<void> {
  const s = series(store, 'k', to - from + 1)
  const id = `k + ${int(from - 1)}`
  await store.run(
    `${s.with} INSERT INTO sessions (id, user_id, client_id, client_type, device_name, ip_address, user_agent, created_at, last_activity, expires_at, revoked_at, revoked_reason)
     SELECT ${id}, ${userOf(id, users)}, NULL, 'web', 'bench device', '10.0.0.1', 'keyturn-bench', ${int(times.createdAt)}, ${int(times.lastActivity)}, ${int(times.expiresAt)}, NULL, NULL
     FROM ${s.from}`,
  )
}

// After a bulk load, what a DBA's store has: statistics, the id sequences past the rows, and
// the rows vacuumed and written out, as rows that came in over weeks would be. Left to the
// server, vacuuming the seed (autovacuum's insert threshold) and checkpointing it would run
// inside the measurements that follow.
async function settle(store: ScaleStore): Promise<void> {
  if (store.dialect === 'sqlite') {
    await store.run('ANALYZE')
    // The seed's log folded into the file and emptied.
    await store.run('PRAGMA wal_checkpoint(TRUNCATE)')
    return
  }
  await store.run(`SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))`)
  await store.run(`SELECT setval(pg_get_serial_sequence('sessions', 'id'), (SELECT max(id) FROM sessions))`)
  await store.run('VACUUM (ANALYZE) users, sessions, refresh_tokens, revocations')
  // CHECKPOINT needs a superuser or pg_checkpoint; without, the server's own comes later.
  await store.run('CHECKPOINT').catch((err: Error) => console.log(`  (no CHECKPOINT after the seed: ${err.message})`))
}

// `count` expired sessions past every session so far (over the same users), one expired
// refresh row each: a backlog for `keyturn flushexpiredtokens`. A gap of ids is left for
// sessions a running instance may still be writing.
export async function seedExpiredSessions(store: ScaleStore, users: number, count: number, now: number): Promise<void> {
  const first = (await store.value('SELECT max(id) FROM sessions')) + 100_000
  await insertSessions(store, users, first, first + count - 1, { createdAt: now - 40 * DAY, expiresAt: now - 10 * DAY, lastActivity: now - 11 * DAY })
  const s = series(store, 'k', count)
  const id = `k + ${int(first - 1)}`
  const issued = int(now - 18 * DAY)
  await store.run(
    `${s.with} INSERT INTO refresh_tokens (jti, session_id, user_id, issued_at, expires_at, rotated_at, replaced_by, blacklisted_at)
     SELECT ${jtiSql(store, `(${id}) * 4`)}, ${id}, ${userOf(id, users)}, ${issued}, ${issued} + ${7 * DAY}, NULL, NULL, NULL FROM ${s.from}`,
  )
  await settle(store)
}

// `count` session revocations inside the last `windowMs`, of sessions no live token names: the
// log a mass logout leaves, which every instance must hold while those tokens could live.
export async function seedRevocations(store: ScaleStore, count: number, windowMs: number, now: number): Promise<void> {
  const s = series(store, 'k', count)
  await store.run(
    `${s.with} INSERT INTO revocations (kind, subject_id, created_at)
     SELECT 'session', 100000000 + k, ${int(now - windowMs)} + k * ${int(windowMs)} / ${int(count)} FROM ${s.from}`,
  )
}
