// The hot statements are prepared on Postgres (store/pg-prepared.ts): each connection parses
// and plans them once. A migration that adds a column must not break a running instance
// (a prepared `users.*` would fail with "cached plan must not change result type"), and
// one that changes a returned column's type costs one retryable failure per connection.
import { sql } from 'kysely'
import t from 'tap'
import { isOutdatedPreparedStatement, isStoreUnavailable } from '../../../../plugins/infra/store/store-errors.js'
import { findRefreshContext } from '../../../../plugins/refresh/refresh-context.js'
import type { Executor } from '../../../../plugins/infra/store/database.js'
import { findUserById, insertUser } from '../../../../plugins/users/users-store.js'
import { migratedStore, stores } from '../../../helper.js'

const anyUser = (db: Executor, username: string) =>
  insertUser(db, { username, email: null, password_hash: 'x', date_joined: 0, created_at: 0, updated_at: 0 })

if (!stores().includes('postgres')) {
  t.pass('Postgres-only: set KEYTURN_TEST_POSTGRES_URL')
} else {
  t.test('the hot statements are prepared once per connection and survive a new column', async (t) => {
    // One connection, so that every query below meets the statements prepared before it.
    const { db } = await migratedStore(t, 'postgres', { poolSize: 1 })
    const { id } = await anyUser(db, 'ann')

    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((r) => r.statement)
    t.equal((await findUserById(db, id))?.username, 'ann')
    t.equal((await findRefreshContext(db, 'no-such-jti', 1, id))?.user.id, id)
    const first = await prepared()
    t.ok(first.some((s) => s.includes('"users"."password_hash"')), 'the user read is prepared')
    await findUserById(db, id)
    await findRefreshContext(db, 'no-such-jti', 1, id)
    t.same(await prepared(), first, 'used again, prepared no further')
    t.notOk(first.some((s) => /\.\*/.test(s)), 'no prepared statement selects t.*')

    // What a later migration may do while this instance runs.
    await sql`alter table users add column nickname varchar(64)`.execute(db)
    t.equal((await findUserById(db, id))?.username, 'ann', 'the prepared read still runs')
    t.equal((await findRefreshContext(db, 'no-such-jti', 1, id))?.user.id, id)
  })

  t.test('a migration changing a returned column type fails one call (503), then a fresh connection serves', async (t) => {
    const { db } = await migratedStore(t, 'postgres', { poolSize: 1 })
    const { id } = await anyUser(db, 'ben')
    t.equal((await findUserById(db, id))?.username, 'ben', 'prepared on the one connection')
    await sql`alter table users alter column first_name type varchar(200)`.execute(db)
    const failed = await findUserById(db, id).then(
      () => undefined,
      (err: unknown) => err,
    )
    t.ok(isOutdatedPreparedStatement(failed), 'Postgres refuses the statement prepared before')
    t.ok(isStoreUnavailable(failed), 'answered as an outage: 503, try again')
    t.equal((await findUserById(db, id))?.username, 'ben', 'the next call runs on a fresh connection')
    t.equal((await findUserById(db, id))?.username, 'ben', 'and keeps working')
  })

  t.test('KEYTURN_PG_PREPARED_STATEMENTS=false: nothing is prepared (for a pooler in transaction mode)', async (t) => {
    const { db } = await migratedStore(t, 'postgres', { poolSize: 1, preparedStatements: false })
    await findUserById(db, 1)
    await findRefreshContext(db, 'no-such-jti', 1, 1)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(db)
    t.equal(rows[0]?.n, 0)
  })
}
