// Security catalogue 1 to 9: every forged or bent token, on every endpoint that takes one
// (verify, refresh, blacklist, logout, a Bearer route), gets the contract's 401
// token_not_valid and nothing else; nothing is written to the store, the genuine tokens of
// the same session keep working, and neither the token nor its signature reaches the log.
import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import {
  base64url,
  bearer,
  claimsOf,
  createUser,
  expect401,
  login,
  post,
  signJwt,
  storeSnapshot,
  stores,
  type StoreName,
} from '../../helper.js'
import { keyServer, signAsymmetric } from '../../forgery.js'
import { buildLogged, expectNotLogged } from '../../logged-app.js'

const INVALID_TEXT = 'Token is invalid or expired'
const INVALID = (detail: string) => ({ detail, code: 'token_not_valid' })
const BEARER_INVALID = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
})
const HS256 = { alg: 'HS256', typ: 'JWT' }
const LEEWAY = 30
const ATTACKER_KEY = 'attacker-key'

// Makes a forged token out of the genuine one the endpoint expects.
type Forge = (genuine: string) => string
// The message is SimpleJWT's for the case: 'Token is invalid or expired' unless given.
type Case = [name: string, forge: Forge, message?: string]

interface Endpoint {
  name: string
  takes: 'access' | 'refresh'
  send(app: FastifyInstance, token: string): Promise<LightMyRequestResponse>
  refused(message: string): object
}

const ENDPOINTS: Endpoint[] = [
  { name: 'verify', takes: 'access', send: (app, token) => post(app, '/api/token/verify/', { token }), refused: INVALID },
  { name: 'refresh', takes: 'refresh', send: (app, token) => post(app, '/api/token/refresh/', { refresh: token }), refused: INVALID },
  { name: 'blacklist', takes: 'refresh', send: (app, token) => post(app, '/api/token/blacklist/', { refresh: token }), refused: INVALID },
  { name: 'logout', takes: 'refresh', send: (app, token) => post(app, '/api/logout/', { refresh: token }), refused: INVALID },
  {
    name: 'Bearer',
    takes: 'access',
    send: (app, token) => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(token) }),
    refused: BEARER_INVALID,
  },
]
const endpoint = (name: string) => ENDPOINTS.find((e) => e.name === name) as Endpoint

const nowSeconds = () => Math.floor(Date.now() / 1000)
const segments = (token: string) => token.split('.') as [string, string, string]
// The genuine claims with `changes`, signed again (by default with the right key).
const resign = (header: Parameters<typeof signJwt>[0], changes: Record<string, unknown> = {}, key?: string): Forge => (genuine) =>
  signJwt(header, { ...claimsOf(genuine), ...changes }, key)
const without = (claim: string): Forge => (genuine) => {
  const claims = claimsOf(genuine)
  delete claims[claim]
  return signJwt(HS256, claims)
}
const withHeader = (header: object): Forge => (genuine) => `${base64url(header)}.${segments(genuine)[1]}.`

const asymmetric = (header: Parameters<typeof signAsymmetric>[0], key: KeyObject): Forge => (genuine) =>
  signAsymmetric(header, claimsOf(genuine), key)

// Sends every case to every endpoint with a fresh session's genuine tokens, then checks that
// the store is as before, the session's tokens still work and no forged token was logged.
async function refusedEverywhere(t: Test, app: FastifyInstance, log: string[], cases: Case[]): Promise<void> {
  const user = await createUser(app)
  const pair = await login(app, user.username)
  const before = await storeSnapshot(app)
  const sent: string[] = []
  for (const target of ENDPOINTS) {
    for (const [name, forge, message] of cases) {
      const token = forge(target.takes === 'access' ? pair.access : pair.refresh)
      sent.push(token)
      expect401(t, await target.send(app, token), target.refused(message ?? INVALID_TEXT), `${target.name}: ${name}`)
    }
  }
  t.strictSame(await storeSnapshot(app), before, 'nothing was written to the store')
  expectNotLogged(t, log, sent)
  t.equal((await endpoint('Bearer').send(app, pair.access)).statusCode, 200, 'the genuine access token still works')
  t.equal((await endpoint('refresh').send(app, pair.refresh)).statusCode, 200, 'the genuine refresh token was not consumed')
}

async function appWithLog(t: Test, store: StoreName, env: Record<string, string> = {}) {
  const log: string[] = []
  const app = await buildLogged(t, store, 'trace', log, env)
  return { app, log }
}

for (const store of stores()) {
  t.test(`forged tokens on verify, refresh, blacklist, logout and a Bearer route (${store})`, async (t) => {
    const { app, log } = await appWithLog(t, store, { KEYTURN_LEEWAY: String(LEEWAY) })

    t.test('catalogue 1: alg none with an empty signature', async (t) => {
      await refusedEverywhere(t, app, log, [
        ['alg none', withHeader({ alg: 'none', typ: 'JWT' })],
        ['alg None', withHeader({ alg: 'None', typ: 'JWT' })],
        ['alg NONE', withHeader({ alg: 'NONE', typ: 'JWT' })],
        ['alg none, no signature segment', (genuine) => withHeader({ alg: 'none' })(genuine).slice(0, -1)],
      ])
    })

    t.test('catalogue 2: the right key with another HMAC algorithm', async (t) => {
      await refusedEverywhere(t, app, log, [
        ['HS512', resign({ alg: 'HS512', typ: 'JWT' })],
        ['HS384', resign({ alg: 'HS384', typ: 'JWT' })],
      ])
    })

    t.test('catalogue 3: an attacker key in jwk, jku or x5u; no outbound connection', async (t) => {
      const server = await keyServer(t)
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      await refusedEverywhere(t, app, log, [
        ['RS256 with its own jwk', asymmetric({ alg: 'RS256', jwk: rsa.publicKey.export({ format: 'jwk' }) }, rsa.privateKey)],
        ['ES256 with its own jwk', asymmetric({ alg: 'ES256', jwk: ec.publicKey.export({ format: 'jwk' }) }, ec.privateKey)],
        ['RS256 with jku', asymmetric({ alg: 'RS256', jku: server.url }, rsa.privateKey)],
        ['RS256 with x5u', asymmetric({ alg: 'RS256', x5u: server.url }, rsa.privateKey)],
        ['HS256 with jku and an attacker key', resign({ ...HS256, jku: server.url }, {}, ATTACKER_KEY)],
        ['HS256 keyed with an oct jwk it carries', resign({ ...HS256, jwk: { kty: 'oct', k: base64url(ATTACKER_KEY) } }, {}, ATTACKER_KEY)],
      ])
      await new Promise((resolve) => setTimeout(resolve, 200))
      t.equal(server.connections(), 0, 'no outbound connection was attempted')
    })

    t.test('catalogue 4: kid values never pick a key and never cause a 5xx', async (t) => {
      await refusedEverywhere(t, app, log, [
        ['kid like SQL', resign({ ...HS256, kid: "' UNION SELECT 'attacker-key' --" }, {}, ATTACKER_KEY)],
        ['kid a path to an empty file', resign({ ...HS256, kid: '../../../../../../dev/null' }, {}, '')],
        ['kid 8 KB long', resign({ ...HS256, kid: 'k'.repeat(8192) }, {}, ATTACKER_KEY)],
        ['kid an object', resign({ ...HS256, kid: { $ne: null } }, {}, ATTACKER_KEY)],
      ])
    })

    // The right key this time: only the kid is wrong, and that is enough.
    t.test('catalogue 26: a kid that names no published key, with the right signature', async (t) => {
      await refusedEverywhere(t, app, log, [
        ['kid like SQL', resign({ ...HS256, kid: "' OR '1'='1" })],
        ['kid a path', resign({ ...HS256, kid: '../../../../../../dev/null' })],
        ['kid 8 KB long', resign({ ...HS256, kid: 'k'.repeat(8192) })],
        ['kid an object', resign({ ...HS256, kid: { $ne: null } })],
        ['kid a number', resign({ ...HS256, kid: 1 })],
        ['the kid of another key', resign({ ...HS256, kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' })],
      ])
    })

    t.test('catalogue 5: tampered payload, truncated signature, a fourth segment', async (t) => {
      await refusedEverywhere(t, app, log, [
        ['user_id changed, old signature', (g) => {
          const [h, p, s] = segments(g)
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { user_id: number }
          return `${h}.${base64url({ ...claims, user_id: claims.user_id + 1 })}.${s}`
        }],
        ['signature truncated', (g) => g.slice(0, -4)],
        ['signature removed', (g) => g.slice(0, g.lastIndexOf('.') + 1)],
        ['a fourth segment', (g) => `${g}.${segments(g)[2]}`],
      ])
    })

    t.test('catalogue 6: JWE-shaped and JSON-serialized tokens, quickly', async (t) => {
      const started = Date.now()
      await refusedEverywhere(t, app, log, [
        ['JWE, five segments', () =>
          [base64url({ alg: 'RSA-OAEP', enc: 'A256GCM' }), ...[256, 12, 64, 16].map((n) => randomBytes(n).toString('base64url'))].join('.')],
        ['five segments from a genuine token', (g) => `${g}.${segments(g)[2]}.${segments(g)[2]}`],
        ['flattened JSON JWS', (g) => {
          const [h, p, s] = segments(g)
          return JSON.stringify({ payload: p, protected: h, signature: s })
        }],
        ['general JSON JWS', (g) => {
          const [h, p, s] = segments(g)
          return JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] })
        }],
      ])
      // These 20 refusals and their checks take tens of milliseconds: a refusal that cost a
      // key derivation or a network timeout (half a second each) would pass a looser bound.
      t.ok(Date.now() - started < 2_000, `refused quickly (${Date.now() - started} ms for 20 requests and the checks)`)
    })

    t.test(`catalogue 8: exp past the leeway (${LEEWAY} s), no exp, nbf in the future`, async (t) => {
      const now = nowSeconds()
      await refusedEverywhere(t, app, log, [
        ['exp one second past the leeway', resign(HS256, { exp: now - LEEWAY - 1 })],
        ['no exp', without('exp'), "Token has no 'exp' claim"],
        ['nbf beyond the leeway', resign(HS256, { nbf: now + LEEWAY + 60 })],
        ['exp not a number', resign(HS256, { exp: String(now + 300) })],
      ])
    })

    // SimpleJWT's own texts, at the token routes and in the Bearer `messages`, in its order.
    t.test("the right key, but no exp, jti, type or user: SimpleJWT's texts everywhere", async (t) => {
      await refusedEverywhere(t, app, log, [
        ['no jti', without('jti'), 'Token has no id'],
        ['no token_type', without('token_type'), 'Token has no type'],
        ['another token_type', resign(HS256, { token_type: 'sliding' }), 'Token has wrong type'],
        ['no user_id', without('user_id'), 'Token contained no recognizable user identification'],
        ['a null user_id', resign(HS256, { user_id: null }), 'Token contained no recognizable user identification'],
        ['a user_id that is no number', resign(HS256, { user_id: '1 OR 1=1' }), 'Token contained no recognizable user identification'],
        ['no exp and no jti: exp first', (g) => without('jti')(without('exp')(g)), "Token has no 'exp' claim"],
        ['no jti and no type: jti first', (g) => without('token_type')(without('jti')(g)), 'Token has no id'],
      ])
    })

    t.test('a user_id that is a string of digits (SimpleJWT 5.5 mints it so) names the same user', async (t) => {
      for (const target of ENDPOINTS) {
        const user = await createUser(app)
        const pair = await login(app, user.username)
        const genuine = target.takes === 'access' ? pair.access : pair.refresh
        const res = await target.send(app, resign(HS256, { user_id: String(user.id) })(genuine))
        t.equal(res.statusCode, 200, `${target.name}: ${res.body}`)
        if (target.name === 'Bearer') t.equal(res.json<{ id: number }>().id, user.id, 'the profile of that user')
        if (target.name === 'refresh') t.equal(claimsOf(res.json<{ access: string }>().access).user_id, user.id, 'new tokens name the user by number')
      }
    })

    t.test(`catalogue 8: an exp within the leeway (${LEEWAY} s) is accepted everywhere`, async (t) => {
      for (const target of ENDPOINTS) {
        const user = await createUser(app)
        const pair = await login(app, user.username)
        const genuine = target.takes === 'access' ? pair.access : pair.refresh
        const res = await target.send(app, resign(HS256, { exp: nowSeconds() - LEEWAY + 5 })(genuine))
        t.equal(res.statusCode, 200, `${target.name}: ${res.body}`)
      }
    })
  })

  t.test(`catalogue 9: with KEYTURN_ISSUER and KEYTURN_AUDIENCE set, a wrong iss or aud (${store})`, async (t) => {
    const ISS = 'https://auth.example.com'
    const AUD = 'keyturn-clients'
    const { app, log } = await appWithLog(t, store, { KEYTURN_ISSUER: ISS, KEYTURN_AUDIENCE: AUD })
    await refusedEverywhere(t, app, log, [
      ['no iss', without('iss')],
      ['a foreign iss', resign(HS256, { iss: 'https://evil.example.com' })],
      ['an iss with ours as a prefix', resign(HS256, { iss: `${ISS}.evil.io` })],
      ['an iss with ours inside', resign(HS256, { iss: `https://evil.io/${ISS}` })],
      ['an iss that is a substring of ours', resign(HS256, { iss: 'https://auth.example' })],
      ['an iss list holding ours', resign(HS256, { iss: [ISS] })],
      ['no aud', without('aud')],
      ['a foreign aud', resign(HS256, { aud: 'someone-else' })],
      ['a foreign aud list', resign(HS256, { aud: ['someone-else'] })],
      ['an aud with ours as a prefix', resign(HS256, { aud: `${AUD}-evil` })],
    ])
  })

  for (const alg of ['RS256', 'ES256'] as const) {
    t.test(`catalogue 7: with ${alg} keys, an HS256 token keyed with the public key (${store})`, async (t) => {
      const keys = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()
      const { app, log } = await appWithLog(t, store, {
        KEYTURN_ALGORITHM: alg,
        KEYTURN_SIGNING_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        KEYTURN_VERIFYING_KEY: pem,
      })
      // Control: the app issues tokens with the configured algorithm (and refusedEverywhere
      // checks that they work).
      const issued = await login(app, (await createUser(app)).username)
      t.match(JSON.parse(Buffer.from(segments(issued.access)[0], 'base64url').toString()), { alg })
      const der = keys.publicKey.export({ type: 'spki', format: 'der' })
      await refusedEverywhere(t, app, log, [
        ['keyed with the PEM', resign(HS256, {}, pem)],
        ['keyed with the PEM without its final newline', resign(HS256, {}, pem.trimEnd())],
        ['keyed with the PEM after a newline', resign(HS256, {}, `\n${pem}`)],
        ['keyed with the PEM after spaces', resign(HS256, {}, `   ${pem}`)],
        ['keyed with the PEM as one escaped line', resign(HS256, {}, pem.replace(/\n/g, '\\n'))],
        ['keyed with the JWK JSON', resign(HS256, {}, JSON.stringify(keys.publicKey.export({ format: 'jwk' })))],
        ['keyed with the DER as base64', resign(HS256, {}, der.toString('base64'))],
        ['HS256 header, PEM, with a kid', resign({ ...HS256, kid: 'public' }, {}, pem)],
      ])
    })
  }
}
