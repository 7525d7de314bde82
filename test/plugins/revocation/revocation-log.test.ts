// The revocation log as a starting instance reads it: the window's session revocations, a
// page of ids at a time, each kept at least as long as its own revocation asks.
import t from 'tap'
import { eachSessionRevocationSince, readIntegers } from '../../../plugins/revocation/revocation-log.js'
import type { RevocationKind } from '../../../plugins/revocation/tables.js'
import { build, stores } from '../../helper.js'

t.test('a page of ids is read as the integers it holds', async (t) => {
  const read = (text: string) => {
    const values: number[] = []
    readIntegers(text, (value) => values.push(value))
    return values
  }
  t.same(read('12,3,4500000000000'), [12, 3, 4_500_000_000_000])
  t.same(read('7'), [7])
  t.same(read('-2,0'), [-2, 0])
  t.throws(() => read('1,x'), /unexpected character/)
  t.throws(() => read('1.5'), /unexpected character/)
})

for (const store of stores()) {
  t.test(`a start reads every session revoked in the window, over many pages, and nothing else (${store})`, async (t) => {
    const app = await build(t, { store })
    const now = Date.now()
    const since = now - 60_000
    const entries: Array<{ kind: RevocationKind; subject_id: number; created_at: number }> = [
      { kind: 'session', subject_id: 1, created_at: since - 5000 }, // before the window, and before its first row
      { kind: 'session', subject_id: 2, created_at: since + 1000 },
      { kind: 'user', subject_id: 3, created_at: since + 2000 },
      { kind: 'session', subject_id: 4, created_at: since + 3000 },
      { kind: 'key', subject_id: 0, created_at: since + 4000 },
      { kind: 'session', subject_id: 5, created_at: since - 9000 }, // another clock, behind: comes along
      { kind: 'session', subject_id: 6, created_at: since + 6000 },
      { kind: 'client', subject_id: 7, created_at: since + 7000 },
      { kind: 'session', subject_id: 8, created_at: since + 8000 },
      { kind: 'session', subject_id: 9, created_at: since + 9000 },
    ]
    await app.db.deleteFrom('revocations').execute()
    for (const entry of entries) await app.db.insertInto('revocations').values(entry).execute()

    const ids = await app.db.selectFrom('revocations').select('id').orderBy('id').execute()
    for (const pageSize of [1, 2, 3, 100]) {
      const read = new Map<number, number>()
      const expected: number[] = []
      await eachSessionRevocationSince(app.db, since, (sid, revokedAt) => read.set(sid, revokedAt), pageSize, (rows) => expected.push(rows))
      t.same(expected, [ids.length - 1], `pages of ${pageSize}: told first of the rows from the window's first on, of every kind`)
      t.same([...read.keys()].sort((a, b) => a - b), [2, 4, 5, 6, 8, 9], `pages of ${pageSize}: the sessions from the window's first row on`)
      for (const entry of entries.filter((e) => e.kind === 'session' && read.has(e.subject_id))) {
        t.ok((read.get(entry.subject_id) as number) >= entry.created_at, `pages of ${pageSize}: session ${entry.subject_id} is kept at least as long as its revocation asks`)
      }
    }
    const none: number[] = []
    await eachSessionRevocationSince(app.db, now + 60_000, (sid) => none.push(sid))
    t.same(none, [], 'nothing in a window that holds no row')
  })
}
