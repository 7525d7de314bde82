import t from 'tap'
import { pacedDrain } from '../../cli/paced-drain.js'
import { deleteExpiredSessions } from '../../plugins/sessions/sessions-store.js'
import { migratedStore, stores } from '../helper.js'

for (const kind of stores()) {
  t.test(`${kind}: a paced drain removes every expired row in batches sized by their time, and only those`, async (t) => {
    const { db } = await migratedStore(t, kind)
    const now = Date.now()
    const user = await db
      .insertInto('users')
      .values({ username: 'drained', email: null, password_hash: 'x', client_id: null, date_joined: now, last_login: null, expires_at: null, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    const session = (expiresAt: number) => ({ user_id: user.id, client_id: null, created_at: now - 1000, last_activity: now - 1000, expires_at: expiresAt })
    for (let i = 0; i < 3; i++) await db.insertInto('sessions').values(Array.from({ length: 700 }, () => session(now - 1))).execute()
    await db.insertInto('sessions').values(Array.from({ length: 5 }, () => session(now + 60_000))).execute()

    const sizes: number[] = []
    const report = await pacedDrain(async (d, batch) => {
      sizes.push(batch)
      return deleteExpiredSessions(d, now, batch)
    }, db)
    t.equal(report.rows, 2100)
    t.equal(report.batches, sizes.length)
    t.ok(report.batches >= 2, 'in more than one batch')
    t.equal(sizes[0], 500, 'the first batch is of 500')
    for (let i = 1; i < sizes.length; i++) {
      const [before, now_] = [sizes[i - 1] as number, sizes[i] as number]
      t.ok(now_ <= 2 * before && now_ >= Math.floor(Math.max(50, before / 2)), `batch ${i + 1} (${now_}) moves at most by a factor two from ${before}`)
    }
    t.ok(report.longestMs > 0 && report.longestMs < 5000, 'the longest batch is timed')
    t.ok(report.longestCommitMs > 0 && report.longestCommitMs < 5000, 'and the longest commit')
    const left = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    t.equal(Number(left.n), 5, 'the live sessions stay')
  })
}
