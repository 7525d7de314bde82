// `column IN (a batch picked by a subquery)`, written as each store plans it well. A flush
// deletes in batches of up to 10 000 rows picked by `select id ... limit n`; Postgres planned
// `id IN (that)` for a batch that large as a hash semi-join over a sequential scan of the whole
// table (one batch of a flush over 3M sessions took 2.7 s, and the refreshes beside it waited).
// `id = ANY(ARRAY(that))` picks the batch once and probes the primary key for each row,
// whatever the batch's size or the table's statistics. SQLite plans the plain form well.
// The batch itself is picked in the order of the index its condition uses (`order by
// expires_at`): with a plain `limit`, Postgres read the table from its start, as its
// statistics said a third or a sixth of it matched and the matching rows would come soon; they
// were all at its end, and the first and last batches of a flush took 0.3-0.7 s each (the
// scans in between went on from where the last had stopped, Postgres's synchronized scans).
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely'
import { isPostgres, type Executor } from './database.js'

export function amongPicked(db: Executor, column: string, picked: Expression<unknown>): RawBuilder<SqlBool> {
  // Kysely writes the subquery in its own parentheses.
  return isPostgres(db) ? sql<SqlBool>`${sql.ref(column)} = any(array${picked})` : sql<SqlBool>`${sql.ref(column)} in ${picked}`
}
