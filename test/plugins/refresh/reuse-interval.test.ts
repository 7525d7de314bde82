// The reuse interval (KEYTURN_ROTATION_GRACE_SECONDS, 10 s by default): within it, every
// presentation of a rotated refresh token, concurrent or retried, gets the same successor
// while that successor is unused; past it, or once the successor is used, a reuse ends the
// session. With 0, SimpleJWT's strict rotation. Rotation stays atomic: one successor row.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { KeyturnPlugin } from '../../../index.js'
import { bearer, build, claimsOf, createUser, login, post, stores, type Pair } from '../../helper.js'

const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }

const refreshAll = (app: FastifyInstance, token: string, n = 20) =>
  Promise.all(Array.from({ length: n }, () => post(app, '/api/token/refresh/', { refresh: token })))

async function tokensOf(app: FastifyInstance, pair: Pair) {
  return app.db.selectFrom('refresh_tokens').select(['jti', 'replaced_by']).where('session_id', '=', pair.session_id).execute()
}

async function sessionOf(app: FastifyInstance, pair: Pair) {
  return app.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).where('id', '=', pair.session_id).executeTakeFirstOrThrow()
}

// A custom claim rides along: the successor handed out again must be the same token, bit for bit.
const tierClaim: KeyturnPlugin = async (fastify) => {
  fastify.keyturn.claims.add(() => ({ tier: 'gold' }), { names: ['tier'] })
}

for (const store of stores()) {
  t.test(`the default reuse interval (${store})`, async (t) => {
    const app = await build(t, { store, plugins: [tierClaim] })
    t.equal(app.config.KEYTURN_ROTATION_GRACE_SECONDS, 10, 'the default is 10 s')
    await createUser(app, { username: 'tabs' })

    t.test('20 concurrent refreshes of one token all get the same successor, which then refreshes', async (t) => {
      const pair = await login(app, 'tabs')
      const answers = await refreshAll(app, pair.refresh)
      t.same(answers.map((a) => a.statusCode), Array(20).fill(200), 'every one gets 200')
      const bodies = answers.map((a) => a.json<{ access: string; refresh: string }>())
      t.equal(new Set(bodies.map((b) => b.refresh)).size, 1, 'with the same refresh token')
      const successor = bodies[0]?.refresh ?? ''
      t.equal(claimsOf(successor).tier, 'gold', 'custom claims included')
      const rows = await tokensOf(app, pair)
      t.equal(rows.length, 2, 'one successor row')
      t.equal(rows.find((r) => r.jti === claimsOf(pair.refresh).jti)?.replaced_by, claimsOf(successor).jti)
      for (const body of bodies.slice(0, 3)) t.equal((await app.inject({ url: '/api/user/', headers: bearer(body.access) })).statusCode, 200, 'each access token works')
      const next = await post(app, '/api/token/refresh/', { refresh: successor })
      t.equal(next.statusCode, 200, 'the successor refreshes')
      t.equal((await sessionOf(app, pair)).revoked_at, null, 'the session lives on')

      // The successor is used now: the old token presented again is a reuse, interval or not.
      t.same((await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json(), BLACKLISTED)
      t.match(await sessionOf(app, pair), { revoked_at: Number, revoked_reason: 'refresh_token_reuse' })
      t.equal((await post(app, '/api/token/refresh/', { refresh: next.json<{ refresh: string }>().refresh })).statusCode, 401, 'every token of the session ends')
    })

    t.test('a retry one after another within the interval gets the same successor too', async (t) => {
      const pair = await login(app, 'tabs')
      const first = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ refresh: string }>()
      for (let i = 0; i < 3; i++) {
        const retry = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
        t.equal(retry.statusCode, 200)
        t.equal(retry.json<{ refresh: string }>().refresh, first.refresh, `retry ${i + 1}: the same successor`)
      }
    })

    t.test('the same 20 refreshes after the interval end the session', async (t) => {
      const pair = await login(app, 'tabs')
      const firstRound = await refreshAll(app, pair.refresh)
      t.ok(firstRound.every((a) => a.statusCode === 200))
      const successor = firstRound[0]?.json<{ refresh: string }>().refresh ?? ''
      await new Promise((resolve) => setTimeout(resolve, 10_500))
      const late = await refreshAll(app, pair.refresh)
      t.ok(late.every((a) => a.statusCode === 401), 'every late presentation is refused')
      t.ok(late.every((a) => a.json<{ detail: string }>().detail === BLACKLISTED.detail))
      t.match(await sessionOf(app, pair), { revoked_at: Number, revoked_reason: 'refresh_token_reuse' }, 'the session ended')
      t.same((await post(app, '/api/token/refresh/', { refresh: successor })).json(), BLACKLISTED, 'its unused successor too')
    })
  })

  t.test(`KEYTURN_ROTATION_GRACE_SECONDS=0: SimpleJWT's strict rotation (${store})`, async (t) => {
    const app = await build(t, { store, env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
    await createUser(app, { username: 'strict' })
    const pair = await login(app, 'strict')
    const answers = await refreshAll(app, pair.refresh)
    const ok = answers.filter((a) => a.statusCode === 200)
    t.equal(ok.length, 1, 'exactly one 200')
    for (const refused of answers.filter((a) => a.statusCode !== 200)) {
      t.equal(refused.statusCode, 401)
      t.same(refused.json(), BLACKLISTED)
    }
    t.equal((await tokensOf(app, pair)).length, 2, 'one successor row')
    t.match(await sessionOf(app, pair), { revoked_at: Number, revoked_reason: 'refresh_token_reuse' }, 'the session ended')
    t.equal((await post(app, '/api/token/refresh/', { refresh: ok[0]?.json<{ refresh: string }>().refresh ?? '' })).statusCode, 401)
  })
}
