// Staff listings at any depth: keyset pages walk the same rows, in the same order, as offset
// pages; a search gives the same rows whether the trigram index names them (a specific term)
// or the listing tests every row it reads (a common or short term); tenants stay apart.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { decodeCursor, encodeCursor, FIRST_PAGE, LAST_PAGE, type Cursor } from '../../../plugins/infra/keyset.js'
import { CANDIDATE_CAP } from '../../../plugins/infra/store/substring-search.js'
import type { AdminSessionRow } from '../../../plugins/admin/staff-queries.js'
import type { SessionFilter } from '../../../plugins/admin/index.js'
import { build, createUser, login, stores } from '../../helper.js'

// Every row of a keyset listing, read page by page in one direction.
async function walk<T>(read: (cursor: Cursor) => Promise<{ rows: T[]; next: Cursor | null; previous: Cursor | null }>, start: Cursor) {
  const rows: T[] = []
  let cursor: Cursor | null = start
  for (let pages = 0; cursor && pages < 1000; pages++) {
    const page: { rows: T[]; next: Cursor | null; previous: Cursor | null } = await read(cursor)
    if (start.reverse) rows.unshift(...page.rows)
    else rows.push(...page.rows)
    cursor = start.reverse ? page.previous : page.next
  }
  return rows
}

const ids = (rows: Array<{ id: number }>) => rows.map((row) => row.id)

for (const store of stores()) {
  t.test(`staff listings (${store})`, async (t) => {
    const app: FastifyInstance = await build(t, { store })
    await app.accounts.addClient('Big')
    await app.accounts.addClient('Small')
    // 1 200 sessions for Big (more than the search's candidate cap share an IP prefix), 60 for Small.
    await app.accounts.seed({ count: 600, sessions: 1200, prefix: 'big', password: 'pw', clientName: 'Big', sharedHash: true })
    await app.accounts.seed({ count: 30, sessions: 60, prefix: 'small', password: 'pw', clientName: 'Small', sharedHash: true })
    const now = Date.now()
    const all: SessionFilter = { scope: { all: true }, now }
    const everything = await app.admin.listSessions(all, { limit: 2000, offset: 0 })
    t.equal(everything.count, 1260)

    t.test('keyset pages, forwards and backwards, are the offset order', async (t) => {
      const forwards = await walk((cursor) => app.admin.sessionsAfter(all, cursor, 97), FIRST_PAGE)
      t.same(ids(forwards), ids(everything.rows))
      const backwards = await walk((cursor) => app.admin.sessionsAfter(all, cursor, 97), LAST_PAGE)
      t.same(ids(backwards), ids(everything.rows))
      const sorted = [...everything.rows].sort((a, b) => b.last_activity - a.last_activity || b.id - a.id)
      t.same(ids(everything.rows), ids(sorted), 'newest activity first')
    })

    t.test('a next page and its previous page are neighbours', async (t) => {
      const first = await app.admin.sessionsAfter(all, FIRST_PAGE, 10)
      t.equal(first.previous, null)
      const second = await app.admin.sessionsAfter(all, first.next as Cursor, 10)
      const back = await app.admin.sessionsAfter(all, second.previous as Cursor, 10)
      t.same(ids(back.rows), ids(first.rows))
      t.same(ids(second.rows), ids(everything.rows.slice(10, 20)))
      const last = await app.admin.sessionsAfter(all, LAST_PAGE, 10)
      t.same(ids(last.rows), ids(everything.rows.slice(-10)))
      t.equal(last.next, null)
    })

    t.test('an offset past the middle reads from the end: same rows', async (t) => {
      for (const offset of [0, 629, 631, 1250, 1255, 1259, 1260, 5000]) {
        const page = await app.admin.listSessions(all, { limit: 10, offset })
        t.same(ids(page.rows), ids(everything.rows.slice(offset, offset + 10)), `offset ${offset}`)
        t.equal(page.count, 1260)
      }
      const users = await app.users.list({ scope: { all: true } }, { limit: 1000, offset: 0 })
      const tail = await app.users.list({ scope: { all: true } }, { limit: 7, offset: users.count - 5 })
      t.same(ids(tail.rows), ids(users.rows.slice(-5)))
    })

    t.test('a tenant sees its own sessions and users only, at every page', async (t) => {
      const small = await app.db.selectFrom('clients').select('id').where('name', '=', 'Small').executeTakeFirstOrThrow()
      const scoped: SessionFilter = { scope: { all: false, clientId: small.id }, now }
      const rows = await walk((cursor) => app.admin.sessionsAfter(scoped, cursor, 7), FIRST_PAGE)
      t.equal(rows.length, 60)
      t.ok(rows.every((row) => row.username.startsWith('small') && row.client_id === small.id))
      const users = await walk((cursor) => app.users.after({ scope: { all: false, clientId: small.id } }, cursor, 7), LAST_PAGE)
      t.same(
        users.map((u) => u.username),
        Array.from({ length: 30 }, (_, i) => `small${i + 1}`),
      )
      const none = await walk((cursor) => app.admin.sessionsAfter({ scope: { all: false, clientId: null }, now }, cursor, 7), FIRST_PAGE)
      t.equal(none.length, 0, 'no seeded session lacks a client')
    })

    t.test('a login copies the user client to the session', async (t) => {
      await createUser(app, { username: 'carol', clientName: 'Small' })
      const pair = await login(app, 'carol')
      const row = await app.db.selectFrom('sessions').select('client_id').where('id', '=', pair.session_id).executeTakeFirstOrThrow()
      const carol = await app.db.selectFrom('users').select('client_id').where('username', '=', 'carol').executeTakeFirstOrThrow()
      t.equal(row.client_id, carol.client_id)
      t.not(row.client_id, null)
    })

    t.test('search: the index path and the reading path give what a scan gives', async (t) => {
      const fresh = await app.admin.listSessions(all, { limit: 5000, offset: 0 })
      const expected = (q: string) =>
        ids(fresh.rows.filter((r: AdminSessionRow) => [r.username, r.device_name, r.ip_address].some((v) => v?.toLowerCase().includes(q.toLowerCase()))))
      const terms = {
        'one device': 'PIXEL 8 #1',
        'one IP': '10.0.2.1',
        'a username': 'small2',
        'every IP (over the cap)': '10.0.',
        'too short for trigrams': '#7',
        'nothing': 'no such device',
        'a wildcard, literally': '%',
      }
      for (const [what, q] of Object.entries(terms)) {
        const want = expected(q)
        const offset = await app.admin.listSessions({ ...all, q }, { limit: 5000, offset: 0 })
        t.same(ids(offset.rows), want, `${what}: offset listing`)
        t.equal(offset.count, want.length, `${what}: count`)
        const keyset = await walk((cursor) => app.admin.sessionsAfter({ ...all, q }, cursor, 50), FIRST_PAGE)
        t.same(ids(keyset), want, `${what}: keyset listing`)
      }
      t.ok(expected('10.0.').length > CANDIDATE_CAP, 'the common term is over the cap')
      const users = await app.users.list({ scope: { all: true }, q: 'SMALL1' }, { limit: 100, offset: 0 })
      t.same(
        users.rows.map((u) => u.username).sort(),
        ['small1', 'small10', 'small11', 'small12', 'small13', 'small14', 'small15', 'small16', 'small17', 'small18', 'small19'],
      )
      const byEmail = await app.users.list({ scope: { all: true }, q: 'big7@load' }, { limit: 100, offset: 0 })
      t.same(byEmail.rows.map((u) => u.username), ['big7'])
    })

    t.test('the search index follows deleted rows', async (t) => {
      const q = 'Galaxy S24 #3'
      const before = await app.admin.listSessions({ ...all, q }, { limit: 100, offset: 0 })
      t.ok(before.count > 0)
      await app.db.deleteFrom('sessions').where('id', 'in', ids(before.rows)).execute()
      const after = await app.admin.listSessions({ ...all, q }, { limit: 100, offset: 0 })
      t.equal(after.count, 0)
    })
  })
}

t.test('cursors: opaque, and anything else is refused', async (t) => {
  const cursor = { position: [1_700_000_000_000, 42], reverse: true }
  t.same(decodeCursor(encodeCursor(cursor), 2), cursor)
  t.same(decodeCursor(encodeCursor(FIRST_PAGE), 2), FIRST_PAGE)
  for (const bad of ['', '!!', 'e30', encodeCursor({ position: [1], reverse: false }), Buffer.from('{"p":[1.5,2]}').toString('base64url'), Buffer.from('[1]').toString('base64url'), Buffer.from('{"r":2}').toString('base64url'), 'x'.repeat(300)]) {
    t.equal(decodeCursor(bad, 2)?.position, undefined, `${bad.slice(0, 20)}: no position`)
  }
  t.same(decodeCursor('e30', 2), FIRST_PAGE, '{} is the first page')
  t.equal(decodeCursor(encodeCursor({ position: [1], reverse: false }), 2), undefined)
  t.equal(decodeCursor('!!', 2), undefined)
})
