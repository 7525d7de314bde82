// A start answers before it has read the revocation log's window (a mass logout's million
// rows take a second or more): until the window is in, a session memory does not know is
// looked up in the store. A token of a session revoked before the start is refused from the
// first answer on, and a good one is served, whether the window has been read or not.
import t from 'tap'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'
import { RevokedSessions } from '../../../plugins/revocation/revoked-sessions.js'
import { bearer, build, createUser, login, post, stores } from '../../helper.js'
import { operatorConnection } from '../../operator-connection.js'

t.test("the window's entries are queued apart from the polls'", async (t) => {
  t.test('a newer entry polled first does not hold the older ones back', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.add(100, 20_000) // polled from the mark on, while the window is read
    for (let sid = 1; sid <= 3; sid++) sessions.addFromStart(sid, 10_000 + sid)
    t.equal(sessions.size, 4)
    sessions.prune(11_100)
    t.notOk(sessions.has(1) || sessions.has(2) || sessions.has(3), "the window's entries went when they expired")
    t.ok(sessions.has(100), 'the newer entry stays')
    sessions.prune(21_100)
    t.equal(sessions.size, 0)
    t.equal(sessions.queued, 0)
  })

  t.test('a session in both is kept until its later revocation expires', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.add(5, 12_000)
    sessions.addFromStart(5, 10_000) // older: changes nothing
    sessions.addFromStart(6, 10_000)
    sessions.add(6, 12_000) // revoked again later
    sessions.prune(11_500)
    t.ok(sessions.has(5) && sessions.has(6), 'the earlier entries expired, the later hold')
    sessions.prune(13_100)
    t.equal(sessions.size, 0)
  })

  t.test('room reserved for the window keeps its queue in order', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.reserve(5000)
    for (let sid = 1; sid <= 5000; sid++) sessions.addFromStart(sid, 10_000 + sid)
    sessions.prune(13_500) // what expired by then went (rounded up to a tenth of a second)
    t.ok(sessions.size >= 2500 && sessions.size <= 2600, `about the first half went, in order (${sessions.size} held)`)
    t.notOk(sessions.has(2400))
    t.ok(sessions.has(2501))
  })
})

const access = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(token) })
const verify = (app: FastifyInstance, token: string) => post(app, '/api/token/verify/', { token })

async function until(check: () => boolean, limitMs: number): Promise<boolean> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > limitMs) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

for (const store of stores()) {
  t.test(`a start behind a busy log refuses what was revoked before it from its first answer (${store})`, async (t) => {
    const a = await build(t, { store })
    await createUser(a, { username: 'erin' })
    const revoked = await login(a, 'erin')
    const kept = await login(a, 'erin')
    t.equal((await post(a, '/api/logout/', { refresh: revoked.refresh })).statusCode, 200)
    // A busy window behind it: sessions of other instances, revoked in the last minute.
    const now = Date.now()
    const busy = 50_000
    await sql`insert into revocations (kind, subject_id, created_at)
      select 'session', 1000000 + n, ${now} from (${
        store === 'postgres'
          ? sql`select generate_series(1, ${busy}) as n`
          : sql`with recursive s(n) as (select 1 union all select n + 1 from s where n < ${busy}) select n from s`
      }) as numbers`.execute(a.db)

    const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL })
    for (const when of ['at once', 'with the window read']) {
      t.equal((await access(b, revoked.access)).statusCode, 401, `${when}: the revoked session's token is refused`)
      t.match((await verify(b, revoked.access)).json(), { code: 'token_not_valid', detail: 'Token is blacklisted' }, `${when}: verify says why`)
      t.equal((await access(b, kept.access)).statusCode, 200, `${when}: the other session's token is served`)
      t.equal((await verify(b, kept.access)).statusCode, 200)
      if (when === 'at once') t.ok(await until(() => b.revocations.state.revokedSessionCount > busy, 20_000), 'the window comes in')
    }
  })
}

// Postgres lets a test hold the window back: an operator's lock on the log stalls the read
// (and the polls), not the start, and not the store's sessions.
if (stores().includes('postgres')) {
  t.test('until the window is read, the store answers for the sessions memory does not know (postgres, the log locked)', async (t) => {
    const a = await build(t, { store: 'postgres' })
    await createUser(a, { username: 'fred' })
    const revoked = await login(a, 'fred')
    const kept = await login(a, 'fred')
    const deleted = await login(a, 'fred')
    t.equal((await post(a, '/api/logout/', { refresh: revoked.refresh })).statusCode, 200)
    const url = a.config.KEYTURN_DATABASE_URL
    const operator = await operatorConnection(t, url)
    const deletedSid = (JSON.parse(Buffer.from(deleted.access.split('.')[1] as string, 'base64url').toString()) as { sid: number }).sid
    await operator.exec(`delete from ${operator.table('sessions')} where id = ${deletedSid}`)
    // Made before the lock: making one writes the log.
    const { account, secret } = await a.serviceAccounts.create({ name: 'gateway', clientId: null, scopes: [] })
    const basic = { authorization: `Basic ${Buffer.from(`${account.oauth_client_id}:${secret}`).toString('base64')}` }
    await operator.exec('begin')
    await operator.exec(`lock table ${operator.table('revocations')} in access exclusive mode`)

    const b = await build(t, { url })
    t.equal(b.revocations.state.revokedSessionCount, 0, 'the start answers with nothing of the window in memory')
    t.equal((await access(b, revoked.access)).statusCode, 401, 'a session revoked before the start is refused: its row says so')
    t.equal((await verify(b, revoked.access)).statusCode, 401)
    t.equal((await verify(b, deleted.access)).statusCode, 401, 'a session no longer stored vouches for no token')
    t.equal((await access(b, kept.access)).statusCode, 200, 'a live session is served')
    t.equal((await verify(b, kept.access)).statusCode, 200)
    const introspect = async (token: string) =>
      (await b.inject({ method: 'POST', url: '/api/v1/oauth/introspect/', headers: basic, payload: { token } })).json<{ active: boolean }>().active
    t.equal(await introspect(revoked.access), false, 'introspection calls the revoked one inactive')
    t.equal(await introspect(kept.access), true, 'and the live one active')

    await operator.exec('commit')
    t.ok(await until(() => b.revocations.state.revokedSessionCount >= 1, 10_000), 'the window comes in once the lock goes')
    t.equal((await access(b, revoked.access)).statusCode, 401, 'and memory refuses it from then on')
    t.equal((await access(b, kept.access)).statusCode, 200)
  })
}
