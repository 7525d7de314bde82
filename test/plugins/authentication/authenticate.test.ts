// The contract's "Authenticated requests" table, row by row, on two Bearer routes, and the
// promise of plugins/authenticate.ts that a valid access token costs no store query.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { QueryExecutor } from 'kysely'
import { base64url, bearer, build, claimsOf, createUser, login, post, signJwt, stores } from '../../helper.js'

// The assertions a helper needs, from whichever (sub)test calls it.
type Asserts = Pick<typeof t, 'equal' | 'same'>
type Teardown = Pick<typeof t, 'teardown'>

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' }
const BAD_HEADER = {
  detail: 'Authorization header must contain two space-delimited values',
  code: 'bad_authorization_header',
}
const USER_NOT_FOUND = { detail: 'User not found', code: 'user_not_found' }
const USER_INACTIVE = { detail: 'User is inactive', code: 'user_inactive' }

function tokenNotValid(message: string) {
  return {
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  }
}
const INVALID = tokenNotValid('Token is invalid or expired')
const WRONG_TYPE = tokenNotValid('Token has wrong type')
const BLACKLISTED = tokenNotValid('Token is blacklisted')

// Both routes authenticate with the same decorator; the table must hold on each.
const ROUTES = [
  { method: 'GET', url: '/api/user/' },
  { method: 'POST', url: '/api/test-auth/' },
] as const

function call(app: FastifyInstance, route: (typeof ROUTES)[number], headers: Record<string, string>) {
  return app.inject({ method: route.method, url: route.url, headers })
}

function assert401(t: Asserts, res: LightMyRequestResponse, body: object, label: string) {
  t.equal(res.statusCode, 401, `${label}: status`)
  t.same(res.json(), body, `${label}: body`)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api"', `${label}: WWW-Authenticate`)
}

for (const store of stores()) {
  t.test(`authenticated requests (${store})`, async (t) => {
    const app = await build(t, { store })

    t.test('a valid access token authenticates on both routes', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      for (const route of ROUTES) {
        const res = await call(app, route, bearer(pair.access))
        t.equal(res.statusCode, 200, route.url)
      }
      // Extra whitespace between the type and the token is one separator, as in SimpleJWT.
      const spaced = await call(app, ROUTES[0], { authorization: `Bearer   ${pair.access}` })
      t.equal(spaced.statusCode, 200)
    })

    t.test('no header, an empty header, or another scheme: credentials not provided', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      const cases: [string, Record<string, string>][] = [
        ['no header', {}],
        ['empty header', { authorization: '' }],
        ['Basic', { authorization: 'Basic abc' }],
        ['Basic with a valid token', { authorization: `Basic ${pair.access}` }],
        ['lowercase bearer', { authorization: 'bearer x' }],
        ['lowercase bearer with a valid token', { authorization: `bearer ${pair.access}` }],
        ['JWT when only Bearer is configured', { authorization: `JWT ${pair.access}` }],
        ['Token (DRF TokenAuthentication)', { authorization: `Token ${pair.access}` }],
      ]
      for (const route of ROUTES) {
        for (const [label, headers] of cases) {
          assert401(t, await call(app, route, headers), NOT_PROVIDED, `${route.url} ${label}`)
        }
      }
    })

    t.test('Bearer with no token or with more than one value', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      const cases = ['Bearer', 'Bearer a b', `Bearer ${pair.access} extra`, `Bearer ${pair.access} ${pair.access}`]
      for (const route of ROUTES) {
        for (const authorization of cases) {
          assert401(t, await call(app, route, { authorization }), BAD_HEADER, `${route.url} ${authorization.slice(0, 20)}`)
        }
      }
    })

    t.test('bad, expired, forged and tampered tokens', async (t) => {
      const user = await createUser(app)
      const other = await createUser(app)
      const pair = await login(app, user.username)
      const now = Math.floor(Date.now() / 1000)
      const genuine = claimsOf(pair.access)
      const hs256 = { alg: 'HS256', typ: 'JWT' }

      // Control: a token this file signs with the right key and claims is accepted, so the
      // refusals below are about what each case changes and not about the signer.
      const control = signJwt(hs256, { ...genuine, iat: now, exp: now + 60 })
      for (const route of ROUTES) t.equal((await call(app, route, bearer(control))).statusCode, 200, `control ${route.url}`)

      const [h, p, s] = pair.access.split('.') as [string, string, string]
      const tampered = `${h}.${base64url({ ...genuine, user_id: other.id })}.${s}`
      const noExp: Record<string, unknown> = { ...genuine, iat: now }
      delete noExp.exp
      const cases: [string, string][] = [
        ['garbage', 'x'],
        ['three garbage segments', 'abc.def.ghi'],
        ['expired', signJwt(hs256, { ...genuine, iat: now - 3600, exp: now - 10 })],
        ['nbf in the future', signJwt(hs256, { ...genuine, iat: now, exp: now + 600, nbf: now + 300 })],
        ['alg none, empty signature', `${base64url({ alg: 'none', typ: 'JWT' })}.${p}.`],
        ['alg none, no signature segment', `${base64url({ alg: 'none', typ: 'JWT' })}.${p}`],
        ['alg NONE', `${base64url({ alg: 'NONE', typ: 'JWT' })}.${p}.`],
        ['HS512 with the same key', signJwt({ alg: 'HS512', typ: 'JWT' }, { ...genuine, iat: now, exp: now + 60 })],
        ['HS384 with the same key', signJwt({ alg: 'HS384', typ: 'JWT' }, { ...genuine, iat: now, exp: now + 60 })],
        ['HS256 with another key', signJwt(hs256, { ...genuine, iat: now, exp: now + 60 }, 'not-the-key')],
        ['tampered user_id', tampered],
        ['signature truncated', `${h}.${p}.${s.slice(0, -4)}`],
        ['signature removed', `${h}.${p}.`],
        ['a fourth segment', `${pair.access}.${s}`],
        ['five segments (JWE-shaped)', `${h}.${p}.${s}.${s}.${s}`],
        ['kid like SQL', signJwt({ ...hs256, kid: "' OR 1=1 --" }, { ...genuine, iat: now, exp: now + 60 }, 'x')],
      ]
      // Signed with the right key but malformed: SimpleJWT's own texts in `messages`.
      const malformed: [string, string, string][] = [
        ['missing exp', signJwt(hs256, noExp), "Token has no 'exp' claim"],
        ['non-numeric user_id', signJwt(hs256, { ...genuine, iat: now, exp: now + 60, user_id: '1 OR 1=1' }), 'Token contained no recognizable user identification'],
      ]
      for (const route of ROUTES) {
        for (const [label, token] of cases) {
          assert401(t, await call(app, route, bearer(token)), INVALID, `${route.url} ${label}`)
        }
        for (const [label, token, message] of malformed) {
          assert401(t, await call(app, route, bearer(token)), tokenNotValid(message), `${route.url} ${label}`)
        }
      }
    })

    t.test('catalogue 10: a refresh token has the wrong type', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.refresh)), WRONG_TYPE, route.url)
      }
    })

    t.test('the access token of a blacklisted session is blacklisted', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      const keep = await login(app, user.username)
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200, 'works before')
      const res = await post(app, '/api/token/blacklist/', { refresh: pair.refresh })
      t.equal(res.statusCode, 200)
      t.same(res.json(), {})
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.access)), BLACKLISTED, route.url)
      }
      // Another session of the same user is untouched.
      t.equal((await call(app, ROUTES[0], bearer(keep.access))).statusCode, 200, 'other session still works')
    })

    t.test('catalogue 11: a deleted user: user not found', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      // The first request puts the user in memory; deletion must still be noticed. Straight
      // in the store, as an operator would: the users trigger writes the log entry, and
      // sync stands for the next poll.
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200)
      await app.db.deleteFrom('users').where('id', '=', user.id).execute()
      await app.revocations.sync(Date.now())
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.access)), USER_NOT_FOUND, route.url)
      }
    })

    t.test('catalogue 11: a user made inactive after login: user inactive', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200)
      await app.db.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute()
      await app.revocations.sync(Date.now())
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.access)), USER_INACTIVE, route.url)
      }
      // Reactivated: the same token works again (the answer was about the user, not the token).
      await app.db.updateTable('users').set({ is_active: 1 }).where('id', '=', user.id).execute()
      await app.revocations.sync(Date.now())
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200, 'reactivated')
    })

    t.test('an account whose expiry was set to the past: user inactive', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200)
      await app.db.updateTable('users').set({ expires_at: Date.now() - 1000 }).where('id', '=', user.id).execute()
      await app.revocations.sync(Date.now())
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.access)), USER_INACTIVE, route.url)
      }
    })

    t.test('an account that expires while its access token lives: user inactive', async (t) => {
      const user = await createUser(app, { expiresAt: Date.now() + 1500 })
      const pair = await login(app, user.username)
      t.equal((await call(app, ROUTES[0], bearer(pair.access))).statusCode, 200, 'before expiry')
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (user.expires_at ?? 0) - Date.now() + 50)))
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(pair.access)), USER_INACTIVE, route.url)
      }
    })

    t.test('a token for a user id that never existed: user not found', async (t) => {
      const user = await createUser(app)
      const pair = await login(app, user.username)
      const now = Math.floor(Date.now() / 1000)
      const ghost = signJwt({ alg: 'HS256', typ: 'JWT' }, { ...claimsOf(pair.access), user_id: 987654321, iat: now, exp: now + 60 })
      for (const route of ROUTES) {
        assert401(t, await call(app, route, bearer(ghost)), USER_NOT_FOUND, route.url)
      }
    })
  })
}

for (const store of stores()) {
  // Top-level, so its app is the only one open in this process: on Postgres, a second app
  // built while another schema holds Kysely's migration tables fails to migrate
  // (store/migrate.ts does not pin the migration table schema). Its revocation poll cannot
  // fire during the measurement.
  t.test(`a valid access token costs no store query once its user is known (${store})`, async (t) => {
    const quiet = await build(t, {
      store,
      env: { KEYTURN_REVOCATION_POLL_MS: '10000', KEYTURN_REVOCATION_MAX_STALENESS_MS: '600000' },
    })
    const user = await createUser(quiet)
    const pair = await login(quiet, user.username)
    const warm = await quiet.inject({ method: 'GET', url: '/api/protected-endpoint/', headers: bearer(pair.access) })
    t.equal(warm.statusCode, 200)
    const queries = spyOnQueries(t, quiet)
    for (let i = 0; i < 20; i++) {
      const res = await quiet.inject({ method: 'GET', url: '/api/protected-endpoint/', headers: bearer(pair.access) })
      t.equal(res.statusCode, 200)
    }
    // The profile comes from the same in-memory user state: no query either.
    t.equal((await quiet.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)
    t.same(queries, [], 'no store query for 20 authenticated requests and a profile read')
    // Control: the spy does see queries (the sessions list reads the store).
    t.equal((await quiet.inject({ method: 'GET', url: '/api/v1/auth/sessions/', headers: bearer(pair.access) })).statusCode, 200)
    t.ok(queries.length > 0, 'the spy records queries')
  })
}

t.test('KEYTURN_AUTH_HEADER_TYPES=Bearer,JWT accepts both types', async (t) => {
  const app = await build(t, { env: { KEYTURN_AUTH_HEADER_TYPES: 'Bearer,JWT' } })
  const user = await createUser(app)
  const pair = await login(app, user.username)
  for (const route of ROUTES) {
    t.equal((await call(app, route, { authorization: `JWT ${pair.access}` })).statusCode, 200, `JWT ${route.url}`)
    t.equal((await call(app, route, bearer(pair.access))).statusCode, 200, `Bearer ${route.url}`)
    assert401(t, await call(app, route, { authorization: 'JWT' }), BAD_HEADER, `JWT alone ${route.url}`)
    assert401(t, await call(app, route, { authorization: `jwt ${pair.access}` }), NOT_PROVIDED, `jwt ${route.url}`)
    assert401(t, await call(app, route, { authorization: 'JWT x' }), INVALID, `JWT x ${route.url}`)
    assert401(t, await call(app, route, { authorization: `JWT ${pair.refresh}` }), WRONG_TYPE, `JWT refresh ${route.url}`)
  }
})

// Records the SQL of every query any Kysely executor runs until the test ends. Patching the
// executor class's prototype catches transactions too (they get executors of the same class).
function spyOnQueries(t: Teardown, app: FastifyInstance): string[] {
  type ExecuteQuery = QueryExecutor['executeQuery']
  const proto = Object.getPrototypeOf(app.db.getExecutor()) as { executeQuery: ExecuteQuery }
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'executeQuery')
  const original = proto.executeQuery
  const seen: string[] = []
  const spy = function (this: QueryExecutor, ...args: Parameters<ExecuteQuery>) {
    seen.push(args[0].sql)
    return original.apply(this, args)
  }
  proto.executeQuery = spy as ExecuteQuery
  t.teardown(() => {
    if (hadOwn) proto.executeQuery = original
    else delete (proto as Partial<typeof proto>).executeQuery
  })
  return seen
}
