// Keys and their ids: every token names its key (kid, an RFC 7638 thumbprint), the JWKS
// publishes the public half and never a private or HMAC key, and an unmodified jose verifier
// that fetches the JWKS verifies Keyturn's access tokens offline.
import { createHash, generateKeyPairSync } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, calculateJwkThumbprint, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { build, createUser, login, post, signJwt, stores, TEST_SIGNING_KEY, claimsOf } from '../../helper.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

function pems(type: 'rsa' | 'ec' | 'ed25519') {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  return {
    KEYTURN_SIGNING_KEY: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    KEYTURN_VERIFYING_KEY: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

t.test('HS256: tokens carry the thumbprint of the key digest, and nothing is published', async (t) => {
  const app = await build(t, { env: { KEYTURN_JWKS_MAX_AGE: '60' } })
  await createUser(app, { username: 'hs' })
  const pair = await login(app, 'hs')
  const expected = await calculateJwkThumbprint({ kty: 'oct', k: createHash('sha256').update(TEST_SIGNING_KEY).digest('base64url') })
  for (const token of [pair.access, pair.refresh]) t.equal(decodeProtectedHeader(token).kid, expected)
  t.notOk(expected.includes(TEST_SIGNING_KEY) || pair.access.includes(Buffer.from(TEST_SIGNING_KEY).toString('base64url')), 'never the key itself')
  const jwks = await app.inject('/.well-known/jwks.json')
  t.equal(jwks.statusCode, 200)
  t.same(jwks.json(), { keys: [] }, 'catalogue 27: no HMAC key is ever published')
  t.equal(jwks.headers['cache-control'], 'public, max-age=60')

  // A token from before kids (none in its header), signed with the key, still works.
  const claims = claimsOf(pair.access)
  const legacy = signJwt({ alg: 'HS256', typ: 'JWT' }, claims)
  t.equal((await app.inject({ url: '/api/user/', headers: { authorization: `Bearer ${legacy}` } })).statusCode, 200)
  t.equal((await post(app, '/api/token/verify/', { token: legacy })).statusCode, 200)
})

for (const store of stores()) {
  for (const [name, algorithm, type] of [['RS256', 'RS256', 'rsa'], ['ES256', 'ES256', 'ec'], ['EdDSA', 'EdDSA', 'ed25519']] as const) {
    t.test(`${name} static keys: the JWKS verifies every token with an unmodified jose (${store})`, async (t) => {
      const app = await build(t, { store, env: { KEYTURN_ALGORITHM: algorithm, ...pems(type) } })
      await createUser(app, { username: 'svc' })
      const base = await app.listen({ host: '127.0.0.1', port: 0 })
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> }
      t.equal(jwks.keys.length, 1)
      const key = jwks.keys[0] ?? {}
      t.match(key, { alg: algorithm, use: 'sig', kid: String })
      for (const member of PRIVATE_MEMBERS) t.notOk(member in key, `catalogue 27: no private member ${member}`)
      t.equal(key.kid, await calculateJwkThumbprint(key as Parameters<typeof calculateJwkThumbprint>[0]), 'the kid is the RFC 7638 thumbprint')

      const verifier = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`))
      const pair = await login(app, 'svc')
      const refreshed = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ access: string }>()
      for (const token of [pair.access, refreshed.access]) {
        const { payload, protectedHeader } = await jwtVerify(token, verifier, { algorithms: [algorithm] })
        t.equal(protectedHeader.kid, key.kid)
        t.match(payload, { token_type: 'access', user_id: pair.user_id, sid: pair.session_id })
      }
    })
  }
}
