// Hot queries compiled once. Building and compiling a Kysely query costs more than running
// it on SQLite; the SQL text never changes, only its parameters. A query is built once per
// dialect with sentinel arguments, and each call binds the real arguments in their places.
// On Postgres the server keeps it prepared too (pg-prepared.ts).
import type { CompiledQuery, Compilable, QueryResult } from 'kysely'
import { isPostgres, type Executor } from './database.js'
import { prepareOnPostgres } from './pg-prepared.js'

// `prepared: false` for a query whose best plan depends on its arguments (a generic plan, which
// Postgres may settle on for a prepared statement, cannot see that a value is rare).
export function compiledQuery<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>, arity: A['length'], { prepared = true } = {}) {
  const byDialect = new Map<boolean, { compiled: CompiledQuery<R>; slots: number[] }>()
  return async (db: Executor, ...args: A): Promise<QueryResult<R>> => {
    const postgres = isPostgres(db)
    let entry = byDialect.get(postgres)
    if (!entry) {
      const sentinels = Array.from({ length: arity }, (_, i) => Symbol(`arg${i}`))
      const compiled = build(db, ...(sentinels as unknown as A)).compile()
      const slots = compiled.parameters.map((p) => sentinels.indexOf(p as symbol))
      entry = { compiled, slots }
      if (postgres && prepared) prepareOnPostgres(compiled.sql)
      byDialect.set(postgres, entry)
    }
    const { compiled, slots } = entry
    const parameters = slots.map((slot, i) => (slot === -1 ? compiled.parameters[i] : args[slot]))
    return db.executeQuery<R>({ ...compiled, parameters })
  }
}
