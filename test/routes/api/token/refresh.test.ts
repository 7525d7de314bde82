import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { base64url, bearer, build, claimsOf, createUser, expect401, login, post, signJwt, storeSnapshot, stores, type Pair, type StoreName } from '../../../helper.js'
import { REFRESH_PATHS } from '../../../../routes/api/token/refresh/index.js'

const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }
const WRONG_TYPE = { detail: 'Token has wrong type', code: 'token_not_valid' }
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }
const NO_ACCOUNT = { detail: 'No active account found for the given token.' }
const bearerRefused = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
})



const refresh = (app: FastifyInstance, token: string, url = '/api/token/refresh/') => post(app, url, { refresh: token })
const profile = (app: FastifyInstance, access: string) => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })



async function sessionRow(app: FastifyInstance, id: number) {
  return app.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

// A logged-in session whose last activity is long past, on an app built with `env`.
async function idleSession(t: Test, store: StoreName, env: Record<string, string>) {
  const app = await build(t, { store, env })
  await createUser(app, { username: 'alice' })
  const pair = await login(app, 'alice')
  await app.db.updateTable('sessions').set({ last_activity: 1000 }).where('id', '=', pair.session_id).execute()
  return { app, pair, before: Date.now() }
}

async function refreshRow(app: FastifyInstance, token: string) {
  const jti = String(claimsOf(token).jti)
  return app.db.selectFrom('refresh_tokens').selectAll().where('jti', '=', jti).executeTakeFirstOrThrow()
}


for (const store of stores()) {
  t.test(`refresh (${store})`, async (t) => {
    // SimpleJWT's strict rotation: a rotated token presented again is a reuse at once (the
    // reuse interval has tests of its own, in reuse-interval.test.ts).
    const app = await build(t, { store, env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
    await createUser(app, { username: 'alice' })

    t.test('rotation returns exactly a new access and refresh token of the same session', async (t) => {
      const pair = await login(app, 'alice')
      const res = await refresh(app, pair.refresh)
      t.equal(res.statusCode, 200)
      const body = res.json<{ access: string; refresh: string }>()
      t.strictSame(Object.keys(body).sort(), ['access', 'refresh'])
      const access = app.tokens.decode(body.access, 'access')
      const next = app.tokens.decode(body.refresh, 'refresh')
      t.match(access, { user_id: pair.user_id, sid: pair.session_id })
      t.match(next, { user_id: pair.user_id, sid: pair.session_id })
      t.not(next.jti, claimsOf(pair.refresh).jti)
      // The old token is rotated and blacklisted, and points at its successor.
      const old = await refreshRow(app, pair.refresh)
      t.ok(old.rotated_at !== null && old.blacklisted_at !== null, 'old token rotated and blacklisted')
      t.equal(old.replaced_by, next.jti)
      t.equal((await profile(app, body.access)).statusCode, 200)
      t.equal((await refresh(app, body.refresh)).statusCode, 200, 'the successor refreshes in turn')
    })

    t.test('catalogue 14: reuse of a rotated token is refused and ends the whole session', async (t) => {
      const pair = await login(app, 'alice')
      const other = await login(app, 'alice')
      const rotated = (await refresh(app, pair.refresh)).json<{ access: string; refresh: string }>()
      t.equal((await profile(app, rotated.access)).statusCode, 200, 'the new access token works before the reuse')

      expect401(t, await refresh(app, pair.refresh), BLACKLISTED, 'reuse')

      // Every token of the session is dead: the newer refresh and both access tokens.
      expect401(t, await refresh(app, rotated.refresh), BLACKLISTED, 'successor refresh')
      for (const access of [rotated.access, pair.access]) {
        expect401(t, await profile(app, access), bearerRefused('Token is blacklisted'), 'access of the session')
      }
      const session = await sessionRow(app, pair.session_id)
      t.not(session.revoked_at, null, 'session revoked in the store')
      t.equal(session.revoked_reason, 'refresh_token_reuse', 'revoked as a reuse')

      // Another device of the same user is untouched.
      t.equal((await profile(app, other.access)).statusCode, 200, 'other session access')
      t.equal((await refresh(app, other.refresh)).statusCode, 200, 'other session refresh')
    })

    t.test('catalogue 10: an access token sent as refresh is refused and consumes nothing', async (t) => {
      const pair = await login(app, 'alice')
      const before = await storeSnapshot(app)
      expect401(t, await refresh(app, pair.access), WRONG_TYPE)
      t.strictSame(await storeSnapshot(app), before, 'nothing written')
      t.equal((await refresh(app, pair.refresh)).statusCode, 200, 'the real refresh token still works')
    })

    t.test('forged and malformed tokens are invalid, and write nothing', async (t) => {
      const pair = await login(app, 'alice')
      const [h, p, s] = pair.refresh.split('.') as [string, string, string]
      const claims = claimsOf(pair.refresh)
      const now = Math.floor(Date.now() / 1000)
      const hs256 = { alg: 'HS256', typ: 'JWT' }
      const cases: [string, string][] = [
        ['garbage', 'not-a-token'],
        ['three empty segments', '..'],
        ['expired', signJwt(hs256, { ...claims, iat: now - 3600, exp: now - 60 })],
        ['tampered payload', `${h}.${base64url({ ...claims, user_id: Number(claims.user_id) + 1 })}.${s}`],
        ['truncated signature', `${h}.${p}.${s.slice(0, -6)}`],
        ['no signature', `${h}.${p}.`],
        ['alg none', `${base64url({ alg: 'none', typ: 'JWT' })}.${p}.`],
        ['alg None', `${base64url({ alg: 'None', typ: 'JWT' })}.${p}.`],
        ['HS512 with the same key', signJwt({ alg: 'HS512', typ: 'JWT' }, claims)],
        ['signed with another key', signJwt(hs256, claims, 'another-key-0123456789abcdef0123456789abcdef')],
        ['a fourth segment', `${pair.refresh}.${s}`],
        [
          'JWE-shaped, five segments',
          [base64url({ alg: 'RSA-OAEP', enc: 'A256GCM' }), ...[16, 12, 64, 16].map((n) => randomBytes(n).toString('base64url'))].join('.'),
        ],
        ['JSON-serialized JWS', JSON.stringify({ payload: p, protected: h, signature: s })],
      ]
      const before = await storeSnapshot(app)
      for (const [name, token] of cases) expect401(t, await refresh(app, token), INVALID, name)
      t.strictSame(await storeSnapshot(app), before, 'nothing written')
      t.equal((await refresh(app, pair.refresh)).statusCode, 200, 'the real refresh token still works')
    })

    t.test('catalogue 11: an inactive user or an expired account cannot refresh', async (t) => {
      const bob = await createUser(app, { username: 'bob' })
      const bobPair = await login(app, 'bob')
      await app.db.updateTable('users').set({ is_active: 0 }).where('id', '=', bob.id).execute()
      expect401(t, await refresh(app, bobPair.refresh), NO_ACCOUNT, 'inactive')

      const carol = await createUser(app, { username: 'carol' })
      const carolPair = await login(app, 'carol')
      // An expiry in the future is no obstacle; one in the past is.
      await app.db.updateTable('users').set({ expires_at: Date.now() + 86_400_000 }).where('id', '=', carol.id).execute()
      const ok = await refresh(app, carolPair.refresh)
      t.equal(ok.statusCode, 200, 'unexpired account refreshes')
      await app.db.updateTable('users').set({ expires_at: Date.now() - 1000 }).where('id', '=', carol.id).execute()
      expect401(t, await refresh(app, ok.json<{ refresh: string }>().refresh), NO_ACCOUNT, 'expired')
    })

    t.test('catalogue 11: a deleted user cannot refresh, and nothing is written', async (t) => {
      const dora = await createUser(app, { username: 'dora' })
      const pair = await login(app, 'dora')
      await app.db.deleteFrom('users').where('id', '=', dora.id).execute()
      const before = await storeSnapshot(app)
      expect401(t, await refresh(app, pair.refresh), NO_ACCOUNT, 'deleted')
      t.strictSame(await storeSnapshot(app), before, 'nothing written')
    })

    t.test('every alias, with and without the trailing slash', async (t) => {
      let token = (await login(app, 'alice')).refresh
      for (const path of REFRESH_PATHS) {
        for (const url of [`/api${path}`, `/api${path.slice(0, -1)}`]) {
          const res = await refresh(app, token, url)
          t.equal(res.statusCode, 200, url)
          token = res.json<{ refresh: string }>().refresh
        }
      }
    })

    t.test('field errors, DRF-shaped; unknown fields ignored', async (t) => {
      const cases: [unknown, object][] = [
        [{}, { refresh: ['This field is required.'] }],
        [{ token: 'x' }, { refresh: ['This field is required.'] }],
        [{ refresh: '' }, { refresh: ['This field may not be blank.'] }],
        [{ refresh: '   ' }, { refresh: ['This field may not be blank.'] }],
        [{ refresh: 42 }, { refresh: ['Not a valid string.'] }],
      ]
      for (const [payload, expected] of cases) {
        const res = await post(app, '/api/token/refresh/', payload)
        t.equal(res.statusCode, 400, JSON.stringify(payload))
        t.strictSame(res.json(), expected, JSON.stringify(payload))
      }
      const noBody = await app.inject({ method: 'POST', url: '/api/token/refresh/' })
      t.equal(noBody.statusCode, 400)
      t.strictSame(noBody.json(), { refresh: ['This field is required.'] })
      const pair = await login(app, 'alice')
      t.equal((await post(app, '/api/token/refresh/', { refresh: pair.refresh, extra: 1 })).statusCode, 200)
    })

    t.test("the session's last_activity moves on refresh", async (t) => {
      const pair = await login(app, 'alice')
      await app.db.updateTable('sessions').set({ last_activity: 1000 }).where('id', '=', pair.session_id).execute()
      const before = Date.now()
      t.equal((await refresh(app, pair.refresh)).statusCode, 200)
      t.ok((await sessionRow(app, pair.session_id)).last_activity >= before)
    })

    t.test('catalogue 12: 50 concurrent refreshes of one token: exactly one succeeds', async (t) => {
      const pair = await login(app, 'alice')
      const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(app, pair.refresh)))
      const statuses = answers.map((r) => r.statusCode)
      t.equal(statuses.filter((s) => s >= 500).length, 0, 'no 5xx')
      t.equal(statuses.filter((s) => s === 200).length, 1, 'exactly one 200')
      const refused = answers.filter((r) => r.statusCode !== 200)
      t.equal(refused.length, 49, '49 refused')
      t.equal(refused.filter((r) => r.statusCode === 401 && r.body === JSON.stringify(BLACKLISTED)).length, 49, 'the rest: Token is blacklisted')
      // Exactly one successor was recorded for the session.
      const rows = await app.db.selectFrom('refresh_tokens').select('jti').where('session_id', '=', pair.session_id).execute()
      t.equal(rows.length, 2, 'the original and one successor')
    })

    t.test('catalogue 13: concurrent logout and refresh: afterwards nothing of the session works', async (t) => {
      // 20 sessions, each raced by a logout and a refresh of its token, all 40 at once.
      const pairs: Pair[] = []
      for (let i = 0; i < 20; i++) pairs.push(await login(app, 'alice'))
      const raced = await Promise.all(
        pairs.map((pair, i) => {
          const out = () => post(app, '/api/logout/', { refresh: pair.refresh })
          const ref = () => refresh(app, pair.refresh)
          return i % 2 === 0
            ? Promise.all([out(), ref()]).then(([o, r]) => ({ logout: o, refresh: r }))
            : Promise.all([ref(), out()]).then(([r, o]) => ({ logout: o, refresh: r }))
        }),
      )
      for (const [i, pair] of pairs.entries()) {
        const { logout, refresh: ref } = raced[i] as (typeof raced)[number]
        t.ok([200, 401].includes(logout.statusCode), `logout ${i}: ${logout.statusCode}`)
        t.ok([200, 401].includes(ref.statusCode), `refresh ${i}: ${ref.statusCode}`)
        // One claim of the token wins: the logout's blacklisting or the refresh's rotation.
        t.notOk(logout.statusCode === 200 && ref.statusCode === 200, `session ${i}: the logout and the refresh did not both succeed`)
        const accesses = [pair.access]
        const refreshes = [pair.refresh]
        if (ref.statusCode === 200) {
          const rotated = ref.json<{ access: string; refresh: string }>()
          accesses.push(rotated.access)
          refreshes.push(rotated.refresh)
        }
        for (const token of refreshes) expect401(t, await refresh(app, token), BLACKLISTED, `session ${i} refresh`)
        for (const token of accesses) {
          expect401(t, await profile(app, token), bearerRefused('Token is blacklisted'), `session ${i} access`)
        }
        t.not((await sessionRow(app, pair.session_id)).revoked_at, null, `session ${i} revoked in the store`)
      }
    })

    t.test('catalogue 13: 20 logouts and 20 refreshes of one token at once: at most one refresh, then nothing works', async (t) => {
      const pair = await login(app, 'alice')
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0 ? post(app, '/api/logout/', { refresh: pair.refresh }) : refresh(app, pair.refresh),
        ),
      )
      t.equal(answers.filter((r) => r.statusCode >= 500).length, 0, 'no 5xx')
      const refreshes = answers.filter((_, i) => i % 2 === 1)
      t.ok(refreshes.filter((r) => r.statusCode === 200).length <= 1, 'at most one refresh succeeds')
      t.equal(answers.filter((r) => r.statusCode === 200).length, 1, 'exactly one of the 40 calls succeeds')
      const tokens = [pair.refresh]
      const accesses = [pair.access]
      for (const r of refreshes.filter((r) => r.statusCode === 200)) {
        tokens.push(r.json<{ refresh: string }>().refresh)
        accesses.push(r.json<{ access: string }>().access)
      }
      for (const token of tokens) expect401(t, await refresh(app, token), BLACKLISTED, 'refresh afterwards')
      for (const token of accesses) expect401(t, await profile(app, token), bearerRefused('Token is blacklisted'), 'access afterwards')
    })
  })

  t.test(`refresh without rotation (${store})`, async (t) => {
    const { app, pair, before } = await idleSession(t, store, { KEYTURN_ROTATE_REFRESH_TOKENS: 'false' })
    const res = await refresh(app, pair.refresh)
    t.equal(res.statusCode, 200)
    const body = res.json<{ access: string }>()
    t.strictSame(Object.keys(body), ['access'], 'only an access token')
    t.match(app.tokens.decode(body.access, 'access'), { sid: pair.session_id, user_id: pair.user_id })
    t.equal((await profile(app, body.access)).statusCode, 200)
    t.ok((await sessionRow(app, pair.session_id)).last_activity >= before, 'last_activity moved')
    // SimpleJWT without rotation: the refresh token stays usable until it expires.
    t.equal((await refresh(app, pair.refresh)).statusCode, 200, 'the same refresh token works again')
    expect401(t, await refresh(app, pair.access), WRONG_TYPE)
  })

  t.test(`rotation without blacklisting after rotation (${store})`, async (t) => {
    const { app, pair, before } = await idleSession(t, store, { KEYTURN_BLACKLIST_AFTER_ROTATION: 'false' })
    const res = await refresh(app, pair.refresh)
    t.equal(res.statusCode, 200)
    const body = res.json<{ access: string; refresh: string }>()
    t.strictSame(Object.keys(body), ['access', 'refresh'], 'a new pair')
    t.not(body.refresh, pair.refresh)
    t.match(await refreshRow(app, body.refresh), { session_id: pair.session_id, rotated_at: null, blacklisted_at: null }, 'the successor is stored')
    t.match(await refreshRow(app, pair.refresh), { blacklisted_at: null }, 'the old token is not blacklisted')
    t.ok((await sessionRow(app, pair.session_id)).last_activity >= before, 'last_activity moved')
    const audited = await app.db.selectFrom('audit_events').select(['event', 'outcome', 'session_id']).where('event', '=', 'refresh').execute()
    t.same(audited, [{ event: 'refresh', outcome: 'success', session_id: pair.session_id }], 'one audit row')
    // SimpleJWT's ROTATE_REFRESH_TOKENS without BLACKLIST_AFTER_ROTATION: both stay usable.
    t.equal((await refresh(app, pair.refresh)).statusCode, 200, 'the old refresh token works again')
    t.equal((await refresh(app, body.refresh)).statusCode, 200, 'and so does its successor')
  })
}
