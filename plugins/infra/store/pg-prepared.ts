// Prepared statements for the hot queries on Postgres. Sent as plain text, a statement is
// parsed and planned by the server every time; for a refresh that was more than half of the
// server's work (replayed rotations: 588 µs of Postgres CPU each as text, 234 µs prepared).
// The statements whose text never changes (compiled.ts, refresh/refresh-commit.ts) are named
// here once, and each pooled connection prepares a named one at its first use (node-postgres
// keeps track per connection) and then only binds and executes it. Every other query is
// sent as before: its text may vary without bound, and each name holds server memory for
// as long as the connection lives.
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
import { isOutdatedPreparedStatement } from './store-errors.js'

const names = new Map<string, string>()

// A prepared statement keeps the result columns it had when it was prepared: once a
// migration changes them, Postgres refuses to run it ("cached plan must not change result
// type") until the connection closes. A `select t.*` changes with any column added, so such
// statements are left unprepared and the hot ones name their columns. A migration that
// changes the type of a column a prepared statement returns makes it fail once on each
// connection that prepared it: that request gets a 503 (try again), and the connection is
// closed on release, so the pool opens a fresh one that prepares it anew.
const STAR_PROJECTION = /\.\*|select\s+\*/i

// Marks a statement's text as fixed: from now on it is prepared on every connection.
export function prepareOnPostgres(sql: string): void {
  if (!names.has(sql) && !STAR_PROJECTION.test(sql)) names.set(sql, `keyturn_${names.size + 1}`)
}

// A pool for Kysely's PostgresDialect whose clients send the named statements by name.
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  return {
    async connect() {
      const client = await pool.connect()
      let wrapper = wrapped.get(client)
      if (!wrapper) {
        wrapper = preparingClient(client)
        wrapped.set(client, wrapper)
      }
      return wrapper
    },
    end: () => pool.end(),
  }
}

function preparingClient(client: pg.PoolClient): PostgresPoolClient {
  let outdated = false
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  function query(sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as unknown as pg.Submittable)
    const name = names.get(sqlOrCursor)
    const values = (parameters ?? []) as unknown[]
    if (name === undefined) return client.query(sqlOrCursor, values)
    return client.query({ name, text: sqlOrCursor, values }).catch((err: unknown) => {
      if (isOutdatedPreparedStatement(err)) outdated = true
      throw err
    })
  }
  // pg-pool closes a client released with an error instead of pooling it again.
  const release = () => client.release(outdated ? new Error('prepared statements outdated by a migration') : undefined)
  return { query, release }
}
