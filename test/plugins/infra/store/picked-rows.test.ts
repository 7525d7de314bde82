// A batch picked by a subquery is deleted through the primary key on both stores, whatever
// the batch's size: on Postgres `id IN (select ... limit 10000)` was planned as a sequential
// scan of the whole table (picked-rows.ts).
import { sql } from 'kysely'
import t from 'tap'
import { amongPicked } from '../../../../plugins/infra/store/picked-rows.js'
import { migratedStore, stores } from '../../../helper.js'

const ROWS = 200_000
const BATCH = 10_000

for (const kind of stores()) {
  t.test(`${kind}: a flush's batch of ${BATCH} is found through the primary key, not by reading the table`, async (t) => {
    const { db } = await migratedStore(t, kind)
    await sql`create table picked_probe (id bigint primary key, at bigint not null)`.execute(db)
    await sql`create index picked_probe_at on picked_probe (at)`.execute(db)
    if (kind === 'postgres') {
      await sql`insert into picked_probe select g, g from generate_series(1, ${ROWS}) g`.execute(db)
      await sql`analyze picked_probe`.execute(db)
    } else {
      await sql`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${ROWS}) insert into picked_probe select n, n from g`.execute(db)
      await sql`analyze`.execute(db)
    }
    const picked = sql`(select id from picked_probe where at < ${BATCH * 2} limit ${BATCH})`
    const explain = kind === 'postgres' ? sql`explain` : sql`explain query plan`
    const { rows } = await sql<Record<string, string>>`${explain} delete from picked_probe where ${amongPicked(db, 'id', picked)}`.execute(db)
    const plan = rows.map((row) => Object.values(row).join(' ')).join('\n')
    t.notMatch(plan, /Seq Scan on picked_probe|SCAN picked_probe(?! USING)/, `no full read of the table:\n${plan}`)
    const deleted = await db.deleteFrom('picked_probe' as never).where(amongPicked(db, 'id', picked)).executeTakeFirst()
    t.equal(Number(deleted.numDeletedRows), BATCH, 'and the batch is deleted')
  })
}
