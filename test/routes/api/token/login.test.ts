import t from 'tap'
import { build, createUser, post, PASSWORD, stores } from '../../../helper.js'
import { LOGIN_PATHS } from '../../../../routes/api/token/index.js'

const NO_ACCOUNT = { detail: 'No active account found with the given credentials' }

for (const store of stores()) {
  t.test(`login (${store})`, async (t) => {
    const app = await build(t, { store })
    await app.db.insertInto('clients').values({ name: 'Company ABC', created_at: Date.now() }).execute()
    const alice = await createUser(app, {
      username: 'alice',
      email: 'Alice@Example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      clientName: 'Company ABC',
    })

    t.test('returns the pair, the user and a new session', async (t) => {
      const res = await post(app, '/api/token/', {
        username: 'alice',
        password: PASSWORD,
        client_type: 'mobile',
        device_name: 'Pixel',
        telegram_user_id: 42,
        telegram_username: 'alice_tg',
      })
      t.equal(res.statusCode, 200)
      const body = res.json()
      t.match(body, {
        access: /^[\w-]+\.[\w-]+\.[\w-]+$/,
        refresh: /^[\w-]+\.[\w-]+\.[\w-]+$/,
        user_id: alice.id,
        username: 'alice',
        email: 'alice@example.com',
        client_id: alice.client_id,
        client_name: 'Company ABC',
        user: { id: alice.id, username: 'alice', email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' },
      })
      t.type(body.session_id, 'number')
      t.same(Object.keys(body).sort(), ['access', 'client_id', 'client_name', 'email', 'refresh', 'session_id', 'user', 'user_id', 'username'])
      const session = await app.db.selectFrom('sessions').selectAll().where('id', '=', body.session_id).executeTakeFirstOrThrow()
      t.match(session, {
        user_id: alice.id,
        client_type: 'mobile',
        device_name: 'Pixel',
        telegram_user_id: 42,
        telegram_username: 'alice_tg',
        ip_address: '127.0.0.1',
        user_agent: 'lightMyRequest',
        revoked_at: null,
      })
      const claims = app.tokens.decode(body.access, 'access')
      t.match(claims, { token_type: 'access', user_id: alice.id, client_id: alice.client_id, sid: body.session_id })
      t.match(claims.jti, /^[0-9a-f]{32}$/)
      t.equal(claims.exp - claims.iat, 15 * 60)
      const refreshClaims = app.tokens.decode(body.refresh, 'refresh')
      t.equal(refreshClaims.exp - refreshClaims.iat, 7 * 24 * 3600)
      t.not(refreshClaims.jti, claims.jti)
    })

    t.test('every alias, with and without the trailing slash', async (t) => {
      for (const path of LOGIN_PATHS) {
        for (const url of [`/api${path}`, `/api${path.slice(0, -1)}`]) {
          const res = await post(app, url, { username: 'alice', password: PASSWORD })
          t.equal(res.statusCode, 200, url)
        }
      }
    })

    t.test('email (any case) and `login` are accepted for username', async (t) => {
      t.equal((await post(app, '/api/token/', { username: 'ALICE@example.com', password: PASSWORD })).statusCode, 200)
      t.equal((await post(app, '/api/token/', { login: 'alice', password: PASSWORD })).statusCode, 200)
    })

    t.test('form-encoded bodies work as in DRF', async (t) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/token/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `username=alice&password=${encodeURIComponent(PASSWORD)}`,
      })
      t.equal(res.statusCode, 200)
    })

    t.test('catalogue 17: wrong password, unknown, inactive and expired users get the same answer', async (t) => {
      await createUser(app, { username: 'inactive', isActive: false })
      await createUser(app, { username: 'expired', expiresAt: Date.now() - 1000 })
      const answers = [
        await post(app, '/api/token/', { username: 'alice', password: 'wrong' }),
        await post(app, '/api/token/', { username: 'nobody', password: PASSWORD }),
        await post(app, '/api/token/', { username: 'inactive', password: PASSWORD }),
        await post(app, '/api/token/', { username: 'expired', password: PASSWORD }),
      ]
      const headerNames = (h: object) => Object.keys(h).filter((k) => k !== 'date').sort()
      for (const res of answers) {
        t.equal(res.statusCode, 401)
        t.same(res.json(), NO_ACCOUNT)
        t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
        t.same(headerNames(res.headers), headerNames(answers[0]!.headers))
      }
    })

    t.test('catalogue 19: passwords are taken byte for byte', async (t) => {
      await createUser(app, { username: 'spaces', password: ' pw with spaces ' })
      t.equal((await post(app, '/api/token/', { username: 'spaces', password: ' pw with spaces ' })).statusCode, 200)
      t.equal((await post(app, '/api/token/', { username: 'spaces', password: 'pw with spaces' })).statusCode, 401)
      t.equal((await post(app, '/api/token/', { username: 'spaces', password: ' PW WITH SPACES ' })).statusCode, 401)
      // Unicode is not normalized either: the composed and decomposed é are two passwords.
      await createUser(app, { username: 'accents', password: 'caf\u00e9' })
      t.equal((await post(app, '/api/token/', { username: 'accents', password: 'caf\u00e9' })).statusCode, 200)
      t.equal((await post(app, '/api/token/', { username: 'accents', password: 'cafe\u0301' })).statusCode, 401)
    })

    t.test('field errors, DRF-shaped', async (t) => {
      const cases: [unknown, object][] = [
        [{}, { username: ['This field is required.'], password: ['This field is required.'] }],
        [{ username: 'alice' }, { password: ['This field is required.'] }],
        [{ username: '', password: '' }, { username: ['This field may not be blank.'], password: ['This field may not be blank.'] }],
        [{ username: '   ', password: 'x' }, { username: ['This field may not be blank.'] }],
        [{ username: ['a'], password: { a: 1 } }, { username: ['Not a valid string.'], password: ['Not a valid string.'] }],
        [{ username: null, password: 'x' }, { username: ['This field may not be null.'] }],
        [{ username: 'a', password: 'x', telegram_user_id: 'abc' }, { telegram_user_id: ['A valid integer is required.'] }],
        [[1, 2], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
      ]
      for (const [payload, expected] of cases) {
        const res = await post(app, '/api/token/', payload)
        t.equal(res.statusCode, 400, JSON.stringify(payload))
        t.same(res.json(), expected, JSON.stringify(payload))
      }
      const noBody = await app.inject({ method: 'POST', url: '/api/token/' })
      t.equal(noBody.statusCode, 400)
      t.same(noBody.json(), { username: ['This field is required.'], password: ['This field is required.'] })
    })

    t.test('malformed JSON never echoes the body', async (t) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/token/',
        headers: { 'content-type': 'application/json' },
        payload: '{"username": "alice", "password": "hunter2',
      })
      t.equal(res.statusCode, 400)
      t.match(res.json(), { detail: /^JSON parse error - / })
      t.notMatch(res.body, /hunter2/)
    })

    t.test('catalogue 19: oversized bodies are refused before any hashing', async (t) => {
      const verify = app.passwords.verify.bind(app.passwords)
      let hashed = 0
      app.passwords.verify = (...args) => {
        hashed++
        return verify(...args)
      }
      t.teardown(() => {
        app.passwords.verify = verify
      })
      const res = await post(app, '/api/token/', { username: 'alice', password: 'x'.repeat(1024 * 1024) })
      t.equal(hashed, 0, 'no password was hashed')
      t.equal(res.statusCode, 413)
      t.same(res.json(), { detail: 'Request body is too large.' })
    })

    t.test('an unsupported content type is a 415', async (t) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/token/',
        headers: { 'content-type': 'text/plain' },
        payload: 'username=alice',
      })
      t.equal(res.statusCode, 415)
      t.same(res.json(), { detail: 'Unsupported media type "text/plain" in request.' })
    })

    t.test('last_login moves on login', async (t) => {
      const before = Date.now()
      await post(app, '/api/token/', { username: 'alice', password: PASSWORD })
      const row = await app.db.selectFrom('users').select('last_login').where('id', '=', alice.id).executeTakeFirstOrThrow()
      t.ok(row.last_login !== null && row.last_login >= before)
    })
  })
}

t.test('catalogue 18: a hash with weaker parameters is upgraded at the next login', async (t) => {
  const app = await build(t, { env: { KEYTURN_ARGON2_MEMORY_KIB: '19456', KEYTURN_ARGON2_TIME_COST: '2' } })
  const { PasswordHasher } = await import('../../../../plugins/passwords/password-hasher.js')
  // Weaker in every parameter, and in each one alone: any of them is reason to upgrade.
  const cases = [
    ['weaker in everything', { memoryCost: 1024, timeCost: 1, parallelism: 1 }],
    ['weaker memory cost only', { memoryCost: 1024, timeCost: 2, parallelism: 1 }],
    ['weaker time cost only', { memoryCost: 19456, timeCost: 1, parallelism: 1 }],
  ] as const
  for (const [i, [label, params]] of cases.entries()) {
    const weak = await new PasswordHasher(params).hash(PASSWORD)
    const user = await createUser(app, { username: `legacy${i}` })
    await app.db.updateTable('users').set({ password_hash: weak }).where('id', '=', user.id).execute()
    t.equal((await post(app, '/api/token/', { username: `legacy${i}`, password: PASSWORD })).statusCode, 200, label)
    const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    t.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, `${label}: rehashed`)
  }
})
