// Several instances on one store: a revocation made on one is honoured by the others within
// a second, without a store query per request (they poll the revocation log). So is a change
// an operator makes straight in the store, however long its transaction stays open, and a
// client renamed or deleted or a user restored there.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { updateAccount } from '../../../plugins/accounts/accounts.js'
import { createClient } from '../../../plugins/users/clients-store.js'
import { bearer, build, createUser, login, post, stores } from '../../helper.js'
import { operatorConnection } from '../../operator-connection.js'
import { revocationMark, revocationsAfter } from '../../../plugins/revocation/revocation-log.js'

const POLL = { KEYTURN_REVOCATION_POLL_MS: '500' }

async function msUntil401(app: FastifyInstance, access: string, limitMs: number): Promise<number> {
  const start = Date.now()
  while (Date.now() - start <= limitMs) {
    const res = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })
    if (res.statusCode === 401) return Date.now() - start
    await new Promise((r) => setTimeout(r, 20))
  }
  return Infinity
}

for (const store of stores()) {
  t.test(`two instances on one ${store} store`, async (t) => {
    const a = await build(t, { store, env: POLL })
    const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: POLL })
    await createUser(a, { username: 'dave' })

    t.test('a logout on A reaches B within one second', async (t) => {
      const pair = await login(a, 'dave')
      t.equal((await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)
      t.equal((await post(a, '/api/logout/', { refresh: pair.refresh })).statusCode, 200)
      const elapsed = await msUntil401(b, pair.access, 1000)
      t.ok(elapsed < 1000, `B refused the token after ${elapsed} ms`)
      const res = await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
      t.match(res.json(), { messages: [{ message: 'Token is blacklisted' }] })
    })

    t.test('a deactivation made by another process reaches both', async (t) => {
      const pair = await login(b, 'dave')
      await updateAccount(a.db, 'dave', { isActive: false })
      for (const app of [a, b]) t.ok((await msUntil401(app, pair.access, 1000)) < 1000)
      await updateAccount(a.db, 'dave', { isActive: true })
    })

    t.test('an instance started after the revocation refuses at once', async (t) => {
      const pair = await login(a, 'dave')
      t.equal((await post(b, '/api/v1/auth/logout/', { refresh: pair.refresh })).statusCode, 200)
      const c = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: POLL })
      const res = await c.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
      t.equal(res.statusCode, 401)
    })
  })
}

for (const store of stores()) {
  t.test(`catalogue 11: an operator's change committed long after it was made still reaches the instance (${store})`, async (t) => {
    // No poll of its own during the test: each sync() below is one, its argument the clock.
    const app = await build(t, { store, env: { KEYTURN_REVOCATION_POLL_MS: '10000' } })
    const user = await createUser(app)
    const pair = await login(app, user.username)
    const me = () => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
    t.equal((await me()).statusCode, 200, 'the user is in memory')

    const operator = await operatorConnection(t, app.config.KEYTURN_DATABASE_URL)
    await operator.exec('begin')
    await operator.exec(`update ${operator.users} set is_active = 0 where id = ${user.id}`)
    // A minute passes before the COMMIT (the same, to a poll, as a database clock a minute
    // behind the instance's): the entry's created_at is far behind every poll after it.
    await app.revocations.sync(Date.now() + 60_000)
    t.equal((await me()).statusCode, 200, 'not committed yet: still served from memory')
    await operator.exec('commit')
    await app.revocations.sync(Date.now() + 61_000)
    const res = await me()
    t.equal(res.statusCode, 401, 'the next poll after the COMMIT drops the user')
    t.strictSame(res.json(), { detail: 'User is inactive', code: 'user_inactive' })
  })
}

// Postgres only: SQLite's writers take turns, so no transaction stays open beside others.
for (const store of stores().filter((s) => s === 'postgres')) {
  t.test('a transaction left open costs each poll nothing it has read before, and its rows arrive when it commits', async (t) => {
    const app = await build(t, { store, env: { KEYTURN_REVOCATION_POLL_MS: '10000' } })
    const operator = await operatorConnection(t, app.config.KEYTURN_DATABASE_URL)
    const log = operator.users.replace(/users$/, 'revocations')
    const entry = (subject: number) => `insert into ${log} (kind, subject_id, created_at) values ('session', ${subject}, ${Date.now()})`
    await operator.exec('begin')
    await operator.exec(entry(900_001))
    const subjects = (rows: Array<{ subject_id: number }>) => rows.map((r) => r.subject_id).sort()

    // Other writers keep committing while it stays open.
    for (const subject of [1, 2, 3]) await app.db.insertInto('revocations').values({ kind: 'session', subject_id: subject, created_at: Date.now() }).execute()
    const first = await revocationMark(app.db)
    for (const subject of [4, 5]) await app.db.insertInto('revocations').values({ kind: 'session', subject_id: subject, created_at: Date.now() }).execute()
    const { rows, next: second } = await revocationsAfter(app.db, first)
    t.same(subjects(rows), [4, 5], 'a poll reads what was committed since its mark, not everything since the open transaction began')

    t.same(subjects((await revocationsAfter(app.db, second)).rows), [], 'and nothing at all when nothing new was committed')
    await operator.exec('commit')
    t.same(subjects((await revocationsAfter(app.db, second)).rows), [900_001], 'the open transaction\'s row arrives once it commits, however old')
  })

  t.test('a poll reads every field of every new row, in commit order, whatever an operator wrote as the kind', async (t) => {
    const app = await build(t, { store, env: { KEYTURN_REVOCATION_POLL_MS: '10000' } })
    const operator = await operatorConnection(t, app.config.KEYTURN_DATABASE_URL)
    const log = operator.users.replace(/users$/, 'revocations')
    const mark = await revocationMark(app.db)
    await operator.exec(`insert into ${log} (kind, subject_id, created_at) values ('session', 9007199254740991, 1764633600123)`)
    await operator.exec(`insert into ${log} (kind, subject_id, created_at) values ('a,b' || chr(30) || 'c', -7, 0)`)
    await operator.exec(`insert into ${log} (kind, subject_id, created_at) values ('user', 42, 5)`)
    const { rows } = await revocationsAfter(app.db, mark)
    t.same(
      rows.map(({ kind, subject_id, created_at }) => ({ kind, subject_id, created_at })),
      [
        { kind: 'session', subject_id: 9007199254740991, created_at: 1764633600123 },
        { kind: 'abc', subject_id: -7, created_at: 0 },
        { kind: 'user', subject_id: 42, created_at: 5 },
      ],
      'the separators are taken out of a kind, so the rows after it still arrive whole',
    )
    t.ok(rows[0]!.id < rows[1]!.id && rows[1]!.id < rows[2]!.id, 'in the order of their ids')
  })
}

for (const store of stores()) {
  t.test(`a client renamed or deleted, or a user restored, by an operator reaches the instance (${store})`, async (t) => {
    // No poll of its own during the test: each sync() below is one.
    const app = await build(t, { store, env: { KEYTURN_REVOCATION_POLL_MS: '10000' } })
    const client = await createClient(app.db, 'Acme', Date.now())
    const user = await createUser(app, { clientName: 'Acme' })
    const other = await createUser(app)
    const operator = await operatorConnection(t, app.config.KEYTURN_DATABASE_URL)
    const profile = async (access: string) => {
      const res = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })
      return { status: res.statusCode, body: res.json<{ client_id: number | null; client_name: string | null }>() }
    }

    const pair = await login(app, user.username)
    const otherPair = await login(app, other.username)
    // The logins' own entries (last_login) are read now, so that from here on only the
    // operator's changes can drop the users kept in memory.
    await app.revocations.sync(Date.now())
    t.match((await profile(pair.access)).body, { client_id: client.id, client_name: 'Acme' }, 'the user is in memory with its client')

    await operator.exec(`update ${operator.clients} set name = 'Acme Ltd' where id = ${client.id}`)
    await app.revocations.sync(Date.now())
    t.match((await profile(pair.access)).body, { client_id: client.id, client_name: 'Acme Ltd' }, 'the next poll after a rename shows the new name')

    await operator.exec(`delete from ${operator.clients} where id = ${client.id}`)
    await app.revocations.sync(Date.now())
    t.match((await profile(pair.access)).body, { client_id: null, client_name: null }, 'and after a delete, no client')

    // The other user is deleted, looked up (remembered as missing), then restored under its id.
    const kept = `kept_user_${process.pid}`
    await operator.exec(`create table ${kept} as select * from ${operator.users} where id = ${other.id}`)
    t.teardown(() => operator.exec(`drop table if exists ${kept}`))
    await operator.exec(`delete from ${operator.users} where id = ${other.id}`)
    await app.revocations.sync(Date.now())
    t.equal((await profile(otherPair.access)).status, 401, 'a deleted user is refused')
    await operator.exec(`insert into ${operator.users} select * from ${kept}`)
    await app.revocations.sync(Date.now())
    t.equal((await profile(otherPair.access)).status, 200, 'restored under its id, it is found again: no "no such user" outlives the insert')
  })
}
