// An instance whose log is quiet reads it on the store's word (a Postgres notice, a SQLite
// commit), not on a clock: with the quiet reads 20 s apart, another instance's logout still
// reaches it within a second, and so does one made after a quiet spell.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { bearer, build, claimsOf, createUser, login, post, stores } from '../../helper.js'

// Reads every 100 ms while the log moves; while it is quiet, every 20 s (a third of this).
const QUIET = { KEYTURN_REVOCATION_POLL_MS: '100', KEYTURN_REVOCATION_MAX_STALENESS_MS: '60000' }

// How long until `app` holds the access token's session revoked (Infinity past `limitMs`).
async function msUntilRevoked(app: FastifyInstance, access: string, limitMs: number): Promise<number> {
  const sid = Number(claimsOf(access).sid)
  const start = Date.now()
  while (!app.revocations.state.isSessionRevoked(sid)) {
    if (Date.now() - start > limitMs) return Infinity
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - start
}

for (const store of stores()) {
  t.test(`a quiet instance hears of another's logout from the store (${store})`, async (t) => {
    const a = await build(t, { store, env: QUIET })
    const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: QUIET })
    await createUser(a, { username: 'erin' })
    for (const round of [1, 2]) {
      const pair = await login(a, 'erin')
      t.equal((await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)
      // Long enough for B to find the log quiet and wait on the store's word.
      await new Promise((r) => setTimeout(r, 1500))
      const lastRead = b.revocations.lastSyncAt
      await new Promise((r) => setTimeout(r, 500))
      t.equal(b.revocations.lastSyncAt, lastRead, 'B does not read the quiet log on its 100 ms clock')
      t.equal((await post(a, '/api/logout/', { refresh: pair.refresh })).statusCode, 200)
      const elapsed = await msUntilRevoked(b, pair.access, 1500)
      t.ok(elapsed < 1000, `round ${round}: B held the session revoked after ${elapsed} ms`)
      t.equal((await b.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 401)
      t.ok(b.revocations.lastSyncAt > lastRead, 'having read the log on the word, not on its 20 s clock')
    }
  })
}
