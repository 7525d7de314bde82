import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { base64url, build, createUser, expect401, login, post, signJwt, stores } from '../../../helper.js'
import { keyServer, signAsymmetric } from '../../../forgery.js'
import { VERIFY_PATHS } from '../../../../routes/api/token/verify/index.js'

const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }



function expect200(t: Test, res: LightMyRequestResponse, msg = ''): void {
  t.equal(res.statusCode, 200, `${msg} status`)
  t.strictSame(res.json(), {}, `${msg} body`)
}

const verify = (app: FastifyInstance, token: string, url = '/api/token/verify/') => post(app, url, { token })

const HS256 = { alg: 'HS256', typ: 'JWT' }


const nowSeconds = () => Math.floor(Date.now() / 1000)

// The claims of a well-formed access token, as Keyturn issues them.
function accessClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds()
  return {
    token_type: 'access',
    exp: now + 300,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    user_id: 1,
    client_id: null,
    sid: 1,
    ...extra,
  }
}

for (const store of stores()) {
  t.test(`verify (${store})`, async (t) => {
    const app = await build(t, { store })
    await createUser(app, { username: 'alice' })

    t.test('access and refresh tokens verify to {}', async (t) => {
      const pair = await login(app, 'alice')
      expect200(t, await verify(app, pair.access), 'access')
      expect200(t, await verify(app, pair.refresh), 'refresh')
    })

    t.test('every alias, with and without the trailing slash', async (t) => {
      const pair = await login(app, 'alice')
      for (const path of VERIFY_PATHS) {
        for (const url of [`/api${path}`, `/api${path.slice(0, -1)}`]) expect200(t, await verify(app, pair.access, url), url)
      }
    })

    t.test('invalid tokens: the exact token_not_valid body', async (t) => {
      const pair = await login(app, 'alice')
      const [h, p, s] = pair.access.split('.') as [string, string, string]
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
      const cases: [string, string][] = [
        ['garbage', 'garbage'],
        ['expired', signJwt(HS256, { ...claims, iat: nowSeconds() - 600, exp: nowSeconds() - 1 })],
        ['tampered payload', `${h}.${base64url({ ...claims, user_id: 999 })}.${s}`],
        ['alg none', `${base64url({ alg: 'none', typ: 'JWT' })}.${p}.`],
        ['HS512 with the same key', signJwt({ alg: 'HS512', typ: 'JWT' }, claims)],
        ['a fourth segment', `${pair.access}.${s}`],
        ['five segments', `${pair.access}.${s}.${s}`],
      ]
      for (const [name, token] of cases) expect401(t, await verify(app, token), INVALID, name)
    })

    t.test('a blacklisted or rotated refresh token, and the access token of a revoked session', async (t) => {
      const pair = await login(app, 'alice')
      expect200(t, await verify(app, pair.access), 'access before')
      t.equal((await post(app, '/api/token/blacklist/', { refresh: pair.refresh })).statusCode, 200)
      expect401(t, await verify(app, pair.refresh), BLACKLISTED, 'blacklisted refresh')
      expect401(t, await verify(app, pair.access), BLACKLISTED, 'access of the revoked session')

      const rotatedAway = await login(app, 'alice')
      t.equal((await post(app, '/api/token/refresh/', { refresh: rotatedAway.refresh })).statusCode, 200)
      expect401(t, await verify(app, rotatedAway.refresh), BLACKLISTED, 'rotated refresh')
    })

    t.test('field errors, DRF-shaped', async (t) => {
      const cases: [unknown, object][] = [
        [{}, { token: ['This field is required.'] }],
        [{ refresh: 'x' }, { token: ['This field is required.'] }],
        [{ token: '' }, { token: ['This field may not be blank.'] }],
        [{ token: ['a'] }, { token: ['Not a valid string.'] }],
      ]
      for (const [payload, expected] of cases) {
        const res = await post(app, '/api/token/verify/', payload)
        t.equal(res.statusCode, 400, JSON.stringify(payload))
        t.strictSame(res.json(), expected, JSON.stringify(payload))
      }
    })
  })
}

t.test('catalogue 8: lifetime claims: exp, leeway, nbf', async (t) => {
  const app = await build(t)
  const strict = await build(t, { env: { KEYTURN_LEEWAY: '0' } })
  const L = 30
  const lenient = await build(t, { env: { KEYTURN_LEEWAY: String(L) } })
  const now = nowSeconds()

  expect200(t, await verify(app, signJwt(HS256, accessClaims())), 'a well-formed forged-by-us token (control)')
  const { exp: _exp, ...noExp } = accessClaims()
  expect401(t, await verify(app, signJwt(HS256, noExp)), { detail: "Token has no 'exp' claim", code: 'token_not_valid' }, 'no exp')
  expect401(t, await verify(strict, signJwt(HS256, accessClaims({ exp: now - 1 }))), INVALID, 'one second past exp, no leeway')

  // With leeway L: now - L - 1 is past it; a few seconds inside it is accepted.
  expect401(t, await verify(lenient, signJwt(HS256, accessClaims({ exp: now - L - 1 }))), INVALID, 'exp one second past the leeway')
  expect200(t, await verify(lenient, signJwt(HS256, accessClaims({ exp: now - L + 5 }))), 'exp within the leeway')
  expect200(t, await verify(lenient, signJwt(HS256, accessClaims({ exp: now - 1 }))), 'just expired, within the leeway')

  expect401(t, await verify(app, signJwt(HS256, accessClaims({ nbf: now + 60 }))), INVALID, 'nbf in the future')
  expect401(t, await verify(lenient, signJwt(HS256, accessClaims({ nbf: now + L + 60 }))), INVALID, 'nbf beyond the leeway')
  expect200(t, await verify(app, signJwt(HS256, accessClaims({ nbf: now - 10 }))), 'nbf in the past')
  expect401(t, await verify(app, signJwt(HS256, accessClaims({ exp: String(now + 300) }))), INVALID, 'exp not a number')
})

t.test('catalogue 9: issuer and audience, when configured, are checked on every decode', async (t) => {
  const ISS = 'https://auth.example.com'
  const AUD = 'keyturn-clients'
  const app = await build(t, { env: { KEYTURN_ISSUER: ISS, KEYTURN_AUDIENCE: AUD } })
  await createUser(app, { username: 'alice' })

  // Keyturn's own tokens carry both and verify.
  const pair = await login(app, 'alice')
  t.match(app.tokens.decode(pair.access, 'access'), { iss: ISS, aud: AUD })
  expect200(t, await verify(app, pair.access), 'issued access')
  expect200(t, await verify(app, pair.refresh), 'issued refresh')
  expect200(t, await verify(app, signJwt(HS256, accessClaims({ iss: ISS, aud: AUD }))), 'right iss and aud (control)')

  const { iss: _iss, ...noIss } = accessClaims({ iss: ISS, aud: AUD })
  const { aud: _aud, ...noAud } = accessClaims({ iss: ISS, aud: AUD })
  const cases: [string, Record<string, unknown>][] = [
    ['no iss', noIss],
    ['no aud', noAud],
    ['neither iss nor aud', accessClaims()],
    ['a foreign iss', accessClaims({ iss: 'https://evil.example.com', aud: AUD })],
    ['an iss with ours as a prefix', accessClaims({ iss: `${ISS}.evil.io`, aud: AUD })],
    ['an iss with ours inside', accessClaims({ iss: `https://evil.io/${ISS}`, aud: AUD })],
    ['an iss of the wrong type', accessClaims({ iss: [ISS], aud: AUD })],
    ['a foreign aud', accessClaims({ iss: ISS, aud: 'someone-else' })],
    ['a foreign aud list', accessClaims({ iss: ISS, aud: ['someone-else'] })],
    ['an aud with ours as a prefix', accessClaims({ iss: ISS, aud: `${AUD}-evil` })],
  ]
  for (const [name, claims] of cases) expect401(t, await verify(app, signJwt(HS256, claims)), INVALID, name)

  // Refresh tokens go through the same decode: one without iss is refused too.
  const refreshClaims = JSON.parse(Buffer.from(pair.refresh.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
  const { iss: _riss, ...refreshNoIss } = refreshClaims
  expect401(t, await verify(app, signJwt(HS256, refreshNoIss)), INVALID, 'refresh token without iss')
})

t.test('catalogue 4: kid values never pick a key and never cause a 5xx', async (t) => {
  const app = await build(t)
  const kids: [string, unknown, string][] = [
    // [name, kid, the key an attacker hopes the kid selects]
    ['SQL-like', "' UNION SELECT 'attacker-key' --", 'attacker-key'],
    ['a path to an empty file', '../../../../../../dev/null', ''],
    ['8 KB long', 'k'.repeat(8192), 'attacker-key'],
    ['an object', { $ne: null }, 'attacker-key'],
    ['a number', 12345, 'attacker-key'],
  ]
  for (const [name, kid, key] of kids) {
    const res = await verify(app, signJwt({ ...HS256, kid }, accessClaims(), key))
    t.ok(res.statusCode < 500, `${name}: no 5xx`)
    expect401(t, res, INVALID, name)
  }
})

t.test('catalogue 3: jwk, jku and x5u headers are ignored: no key is taken or fetched', async (t) => {
  const app = await build(t)
  const server = await keyServer(t)
  const keyUrl = server.url

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rsaJwk = rsa.publicKey.export({ format: 'jwk' })
  const ecJwk = ec.publicKey.export({ format: 'jwk' })
  const claims = accessClaims()
  const cases: [string, string][] = [
    ['RS256 with its own jwk', signAsymmetric({ alg: 'RS256', jwk: rsaJwk }, claims, rsa.privateKey)],
    ['ES256 with its own jwk', signAsymmetric({ alg: 'ES256', jwk: ecJwk }, claims, ec.privateKey)],
    ['RS256 with jku', signAsymmetric({ alg: 'RS256', jku: keyUrl }, claims, rsa.privateKey)],
    ['RS256 with x5u', signAsymmetric({ alg: 'RS256', x5u: keyUrl }, claims, rsa.privateKey)],
    ['HS256 with jku and an attacker key', signJwt({ ...HS256, jku: keyUrl }, claims, 'attacker-key')],
    ['HS256 keyed with a jwk it carries', signJwt({ ...HS256, jwk: { kty: 'oct', k: base64url('attacker-key') } }, claims, 'attacker-key')],
  ]
  for (const [name, token] of cases) expect401(t, await verify(app, token), INVALID, name)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(server.connections(), 0, 'no outbound connection was attempted')
})
