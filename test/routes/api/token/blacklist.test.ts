import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { base64url, bearer, build, createUser, expect401, login, post, storeSnapshot, stores, UNAVAILABLE } from '../../../helper.js'
import { BLACKLIST_PATHS } from '../../../../routes/api/token/blacklist/index.js'

const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }
const WRONG_TYPE = { detail: 'Token has wrong type', code: 'token_not_valid' }
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }
const LOGGED_OUT = { detail: 'Successfully logged out.' }
const BEARER_BLACKLISTED = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
}



const blacklist = (app: FastifyInstance, token: string, url = '/api/token/blacklist/') => post(app, url, { refresh: token })
const refresh = (app: FastifyInstance, token: string) => post(app, '/api/token/refresh/', { refresh: token })
const profile = (app: FastifyInstance, access: string) => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })


for (const store of stores()) {
  t.test(`blacklist and logout (${store})`, async (t) => {
    const app = await build(t, { store })
    await createUser(app, { username: 'alice' })

    t.test('every blacklist path, with and without the trailing slash: {} once, then blacklisted', async (t) => {
      for (const path of BLACKLIST_PATHS) {
        for (const url of [`/api${path}`, `/api${path.slice(0, -1)}`]) {
          const pair = await login(app, 'alice')
          const res = await blacklist(app, pair.refresh, url)
          t.equal(res.statusCode, 200, url)
          t.strictSame(res.json(), {}, url)
          expect401(t, await blacklist(app, pair.refresh, url), BLACKLISTED, `${url} again`)
        }
      }
    })

    t.test('blacklisting ends the session: its access and refresh tokens fail', async (t) => {
      const pair = await login(app, 'alice')
      const other = await login(app, 'alice')
      t.equal((await profile(app, pair.access)).statusCode, 200, 'access works before')
      t.equal((await blacklist(app, pair.refresh)).statusCode, 200)

      expect401(t, await profile(app, pair.access), BEARER_BLACKLISTED, 'access after')
      expect401(t, await refresh(app, pair.refresh), BLACKLISTED, 'refresh after')

      // The revocation is in the store, not only in this process's memory.
      const session = await app.db.selectFrom('sessions').selectAll().where('id', '=', pair.session_id).executeTakeFirstOrThrow()
      t.not(session.revoked_at, null, 'sessions.revoked_at set')
      const jti = app.tokens.decode(pair.refresh, 'refresh').jti
      const row = await app.db.selectFrom('refresh_tokens').selectAll().where('jti', '=', jti).executeTakeFirstOrThrow()
      t.not(row.blacklisted_at, null, 'refresh_tokens.blacklisted_at set')

      // Another device of the same user keeps working.
      t.equal((await profile(app, other.access)).statusCode, 200, 'other session access')
      t.equal((await refresh(app, other.refresh)).statusCode, 200, 'other session refresh')
      const otherSession = await app.db.selectFrom('sessions').select('revoked_at').where('id', '=', other.session_id).executeTakeFirstOrThrow()
      t.equal(otherSession.revoked_at, null)
    })

    t.test('catalogue 10: an access token sent as refresh is refused and revokes nothing', async (t) => {
      const pair = await login(app, 'alice')
      const before = await storeSnapshot(app)
      expect401(t, await blacklist(app, pair.access), WRONG_TYPE, 'blacklist')
      expect401(t, await post(app, '/api/logout/', { refresh: pair.access }), WRONG_TYPE, 'logout')
      t.strictSame(await storeSnapshot(app), before, 'nothing written')
      t.equal((await profile(app, pair.access)).statusCode, 200, 'the session still works')
      t.equal((await blacklist(app, pair.refresh)).statusCode, 200, 'the refresh token was not consumed')
    })

    t.test('a rotated refresh token is refused, and still logs its device out', async (t) => {
      const pair = await login(app, 'alice')
      const rotated = (await refresh(app, pair.refresh)).json<{ access: string; refresh: string }>()
      expect401(t, await blacklist(app, pair.refresh), BLACKLISTED)
      expect401(t, await refresh(app, rotated.refresh), BLACKLISTED, 'successor')
      expect401(t, await profile(app, rotated.access), BEARER_BLACKLISTED, 'successor access')
    })

    t.test('invalid and forged tokens, field errors', async (t) => {
      const pair = await login(app, 'alice')
      const [, p] = pair.refresh.split('.') as [string, string, string]
      const before = await storeSnapshot(app)
      expect401(t, await blacklist(app, 'garbage'), INVALID, 'garbage')
      expect401(t, await blacklist(app, `${base64url({ alg: 'none', typ: 'JWT' })}.${p}.`), INVALID, 'alg none')
      expect401(t, await post(app, '/api/logout/', { refresh: `${base64url({ alg: 'none', typ: 'JWT' })}.${p}.` }), INVALID, 'alg none on logout')
      t.strictSame(await storeSnapshot(app), before, 'nothing written')

      for (const url of ['/api/token/blacklist/', '/api/auth/token/blacklist/', '/api/logout/']) {
        for (const [payload, expected] of [
          [{}, { refresh: ['This field is required.'] }],
          [{ refresh: '' }, { refresh: ['This field may not be blank.'] }],
        ] as const) {
          const res = await post(app, url, payload)
          t.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}`)
          t.strictSame(res.json(), expected, `${url} ${JSON.stringify(payload)}`)
        }
      }
      t.equal((await profile(app, pair.access)).statusCode, 200, 'the session still works')
    })

    t.test('POST /api/logout/ logs the device out', async (t) => {
      for (const url of ['/api/logout/', '/api/logout']) {
        const pair = await login(app, 'alice')
        const other = await login(app, 'alice')
        const res = await post(app, url, { refresh: pair.refresh })
        t.equal(res.statusCode, 200, url)
        t.strictSame(res.json(), LOGGED_OUT, url)
        expect401(t, await post(app, url, { refresh: pair.refresh }), BLACKLISTED, `${url} again`)
        expect401(t, await profile(app, pair.access), BEARER_BLACKLISTED, `${url} access after`)
        expect401(t, await refresh(app, pair.refresh), BLACKLISTED, `${url} refresh after`)
        t.equal((await profile(app, other.access)).statusCode, 200, `${url} other session`)
      }
    })

    t.test('a new instance on the same store refuses the revoked session', async (t) => {
      const pair = await login(app, 'alice')
      const other = await login(app, 'alice')
      t.equal((await blacklist(app, pair.refresh)).statusCode, 200)

      // As a restarted process would: nothing in memory but what the store says.
      const fresh = await build(t, { store, url: app.config.KEYTURN_DATABASE_URL })
      t.equal((await profile(fresh, other.access)).statusCode, 200, 'a live session works there (control)')
      expect401(t, await profile(fresh, pair.access), BEARER_BLACKLISTED, 'access')
      expect401(t, await refresh(fresh, pair.refresh), BLACKLISTED, 'refresh')
      expect401(t, await post(fresh, '/api/token/verify/', { token: pair.access }), BLACKLISTED, 'verify access')
      expect401(t, await blacklist(fresh, pair.refresh), BLACKLISTED, 'blacklist again')
    })

    t.test('a running second instance refuses the access token within one second', async (t) => {
      const second = await build(t, { store, url: app.config.KEYTURN_DATABASE_URL })
      const pair = await login(app, 'alice')
      t.equal((await profile(second, pair.access)).statusCode, 200, 'works on the other instance before')
      t.equal((await blacklist(app, pair.refresh)).statusCode, 200)
      const start = Date.now()
      let res = await profile(second, pair.access)
      while (res.statusCode === 200 && Date.now() - start < 1500) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        res = await profile(second, pair.access)
      }
      const elapsed = Date.now() - start
      t.ok(elapsed <= 1000, `refused after ${elapsed} ms`)
      expect401(t, res, BEARER_BLACKLISTED, 'on the other instance')
    })
  })
}

// Catalogue 15 on SQLite, without timing: the logout's transaction shares its batch's COMMIT
// (store/sqlite-group-commit.ts) with one whose deferred foreign key makes that COMMIT fail.
// An answer sent before the COMMIT would say "logged out" for a revocation that is lost.
t.test('catalogue 15: a logout whose shared COMMIT fails answers 503, and nothing of it is kept (sqlite file)', async (t) => {
  const app = await build(t)
  await createUser(app, { username: 'alice' })
  for (const url of ['/api/logout/', '/api/token/blacklist/']) {
    const pair = await login(app, 'alice')
    const before = await storeSnapshot(app)
    const transaction = app.db.transaction.bind(app.db)
    let spoiler: Promise<unknown> = Promise.resolve('never began')
    const spy = t.capture(app.db, 'transaction', () => {
      spy.restore()
      // Begun in the same event-loop turn as the logout's own transaction (returned below),
      // so both are in the batch whose COMMIT that turn's end runs.
      spoiler = transaction()
        .execute(async (trx) => {
          await sql`pragma defer_foreign_keys = on`.execute(trx)
          await trx.insertInto('refresh_tokens').values({ jti: 'dangling', session_id: 999_999, user_id: 0, issued_at: 0, expires_at: 1 }).execute()
        })
        .then(() => 'committed', (err: unknown) => err)
      return transaction()
    })
    const res = await post(app, url, { refresh: pair.refresh })
    t.equal(spy.args().length, 1, `${url}: the logout began one transaction`)
    t.match(await spoiler, { cause: { code: /^SQLITE_CONSTRAINT/ } }, `${url}: the shared COMMIT failed`)
    t.equal(res.statusCode, 503, `${url}: never 200`)
    t.strictSame(res.json(), UNAVAILABLE, `${url}: the contract's body`)
    t.strictSame(await storeSnapshot(app), before, `${url}: nothing of the logout is committed`)
    t.equal((await profile(app, pair.access)).statusCode, 200, `${url}: the access token still works`)
    t.equal((await refresh(app, pair.refresh)).statusCode, 200, `${url}: the refresh token still works`)
  }
})
