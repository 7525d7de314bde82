// A flush picks each batch through the expiry index, also when its statistics say a good
// part of the table has expired and those rows all lie at the table's end. With a plain
// `limit`, Postgres read the table from its start to find them (picked-rows.ts).
import { CompiledQuery, sql, type Expression, type Kysely } from 'kysely'
import t from 'tap'
import type { Database, Executor } from '../../plugins/infra/store/database.js'
import { amongPicked } from '../../plugins/infra/store/picked-rows.js'
import { expiredSessionsBatch } from '../../plugins/sessions/sessions-store.js'
import { expiredRefreshTokensBatch } from '../../plugins/tokens/outstanding-tokens.js'
import { migratedStore, stores } from '../helper.js'

const LIVE = 20_000
const EXPIRED = 5_000
const BATCH = 500

// `count` rows numbered from 1, the last `EXPIRED` of them expired, by SQL on each store.
const numbered = (kind: string, count: number) =>
  kind === 'postgres'
    ? sql.raw(`select g as n from generate_series(1, ${count}) g`)
    : sql.raw(`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${count}) select n from g`)

async function seed(db: Kysely<Database>, kind: string, now: number): Promise<void> {
  const user = await db
    .insertInto('users')
    .values({ username: 'expiring', email: null, password_hash: 'x', client_id: null, date_joined: now, last_login: null, expires_at: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  const expiry = sql.raw(`case when n > ${LIVE} then ${now - 1} else ${now + 3_600_000} end`)
  await sql`insert into sessions (user_id, created_at, last_activity, expires_at)
    select ${user.id}, ${now}, ${now}, ${expiry} from (${numbered(kind, LIVE + EXPIRED)}) g`.execute(db)
  const session = await db.selectFrom('sessions').select('id').orderBy('id').executeTakeFirstOrThrow()
  const jti = sql.raw(kind === 'postgres' ? `lpad(to_hex(n), 32, '0')` : `printf('%032x', n)`)
  await sql`insert into refresh_tokens (jti, session_id, user_id, issued_at, expires_at)
    select ${jti}, ${session.id}, ${user.id}, ${now}, ${expiry} from (${numbered(kind, LIVE + EXPIRED)}) g`.execute(db)
  await sql`analyze`.execute(db)
}

const picks: Array<[table: 'sessions' | 'refresh_tokens', key: 'id' | 'jti', pick: (db: Executor, now: number, batch: number) => Expression<unknown>]> = [
  ['refresh_tokens', 'jti', expiredRefreshTokensBatch],
  ['sessions', 'id', expiredSessionsBatch],
]

for (const kind of stores()) {
  t.test(`${kind}: a flush's batch is picked through the expiry index, not by reading the table`, async (t) => {
    const { db } = await migratedStore(t, kind)
    const now = Date.now()
    await seed(db, kind, now)
    for (const [table, key, pick] of picks) {
      const query = db.deleteFrom(table).where(amongPicked(db, key, pick(db, now, BATCH))).compile()
      const explain = kind === 'postgres' ? 'explain' : 'explain query plan'
      const { rows } = await db.executeQuery<Record<string, string>>(CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]))
      const plan = rows.map((row) => Object.values(row).join(' ')).join('\n')
      t.notMatch(plan, new RegExp(`Seq Scan on ${table}|SCAN ${table}(?! USING)`), `${table}: no read of the whole table:\n${plan}`)
      const deleted = await db.executeQuery(query)
      t.equal(Number(deleted.numAffectedRows), BATCH, `${table}: the batch is deleted`)
    }
    const left = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '<', now).executeTakeFirstOrThrow()
    t.equal(Number(left.n), EXPIRED - BATCH, 'expired sessions only went')
  })
}
