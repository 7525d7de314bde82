// Managed keys (KEYTURN_KEYS=managed): generated and sealed in the store, one active key for
// every instance, rotated with a publication delay that a JWKS-caching verifier never
// notices, and revoked everywhere within a second.
import { randomBytes } from 'node:crypto'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import t from 'tap'
import { ChildTracker, childEnv } from '../../child-processes.js'
import { build, bearer, createUser, login, post, stores, type StoreName } from '../../helper.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

const KEK = randomBytes(32).toString('base64')
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

function managed(algorithm: string, extra: Record<string, string> = {}): Record<string, string> {
  return { KEYTURN_KEYS: 'managed', KEYTURN_ALGORITHM: algorithm, KEYTURN_KEY_ENCRYPTION_KEY: KEK, ...extra }
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid

async function me(app: Parameters<typeof login>[0], token: string): Promise<number> {
  return (await app.inject({ url: '/api/user/', headers: bearer(token) })).statusCode
}

async function jwksOf(app: Parameters<typeof login>[0]) {
  return (await app.inject('/.well-known/jwks.json')).json<{ keys: Array<Record<string, unknown>> }>().keys
}

// Polls until `done` holds; the time it took (ms), or Infinity after `ms`.
async function timeUntil(done: () => Promise<boolean>, ms = 3000): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < ms) {
    if (await done()) return Date.now() - start
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return Infinity
}

t.test('managed keys refuse to start without a usable encryption key, or with an HMAC algorithm', async (t) => {
  await t.rejects(build(t, { env: managed('EdDSA', { KEYTURN_KEY_ENCRYPTION_KEY: '' }) }), /needs KEYTURN_KEY_ENCRYPTION_KEY: 32 random bytes as base64/)
  const short = randomBytes(16).toString('base64')
  await t.rejects(build(t, { env: managed('EdDSA', { KEYTURN_KEY_ENCRYPTION_KEY: short }) }), /the value given is not that/)
  await t.rejects(build(t, { env: managed('EdDSA', { KEYTURN_KEY_ENCRYPTION_KEY: 'not base64 at all, but long enough to be 32 chars' }) }), /not that/)
  await t.rejects(build(t, { env: managed('HS256') }), /KEYTURN_KEYS=managed is for key pairs/)
})

for (const store of stores()) {
  for (const algorithm of ['EdDSA', 'ES256', 'RS256']) {
    t.test(`${algorithm} managed keys: one active key for every instance, published with the next one, sealed at rest (${store})`, async (t) => {
      const a = await build(t, { store, env: managed(algorithm) })
      const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env: managed(algorithm) })
      await createUser(a, { username: 'k' })
      const fromA = await login(a, 'k')
      const fromB = await login(b, 'k')
      t.equal(kidOf(fromA.access), kidOf(fromB.access), 'both instances sign with the same key')
      t.equal(kidOf(fromA.refresh), kidOf(fromA.access))
      const keys = await jwksOf(a)
      t.same(keys, await jwksOf(b))
      t.equal(keys.length, 2, 'the active key and the next one')
      t.equal(keys[0]?.kid, kidOf(fromA.access), 'the signing key first')
      for (const key of keys) {
        t.match(key, { alg: algorithm, use: 'sig', kid: String })
        for (const member of PRIVATE_MEMBERS) t.notOk(member in key, `catalogue 27: no private member ${member}`)
      }
      t.equal(await me(b, fromA.access), 200)

      const rows = await a.keys.list()
      t.same(rows.map((r) => r.state).sort(), ['active', 'next'])
      for (const row of rows) {
        t.notMatch(row.sealed_private_key, /PRIVATE KEY|BEGIN/, 'the private half is sealed, not PEM')
        t.match(row.sealed_private_key, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
      }

      // Another encryption key cannot open them: the start is refused, naming the key.
      await t.rejects(
        build(t, { url: a.config.KEYTURN_DATABASE_URL, env: managed(algorithm, { KEYTURN_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }) }),
        /KEYTURN_KEY_ENCRYPTION_KEY does not open its private half/,
      )
    })
  }

  for (const algorithm of ['EdDSA', 'ES256']) {
    t.test(`catalogue 28: a rotation under logins, verified by an unmodified jose that caches the JWKS for its max-age (${algorithm}, ${store})`, async (t) => {
      await rotationUnderLoad(t, store, algorithm)
    })
  }

  t.test(`keys rotate on its schedule, and retired keys go once their tokens have expired (${store})`, async (t) => {
    const env = managed('EdDSA', {
      KEYTURN_JWKS_MAX_AGE: '1',
      KEYTURN_KEY_ROTATION_INTERVAL: '3s',
      KEYTURN_ACCESS_TOKEN_LIFETIME: '2s',
      KEYTURN_REFRESH_TOKEN_LIFETIME: '2s',
      KEYTURN_SERVICE_TOKEN_LIFETIME: '2s',
    })
    const app = await build(t, { store, env })
    const first = app.keys.signing().kid
    const rotatedAfter = await timeUntil(async () => app.keys.signing().kid !== first, 6000)
    t.ok(rotatedAfter < 6000, `the next key signs after the interval, no command needed (${rotatedAfter} ms)`)
    t.ok((await jwksOf(app)).some((k) => k.kid === first), 'the retired key is still published')
    // Deleted in the store, then unpublished once the instance has read the keys again.
    const goneAfter = await timeUntil(async () => !(await app.keys.list()).some((k) => k.kid === first), 6000)
    t.ok(goneAfter < 6000, `the retired key is deleted once its tokens have expired (${goneAfter} ms later)`)
    const unpublishedAfter = await timeUntil(async () => !(await jwksOf(app)).some((k) => k.kid === first), 1000)
    t.ok(unpublishedAfter < 1000, `and unpublished (${unpublishedAfter} ms after)`)
  })
}

// Logins and an offline jose verifier against the JWKS while the keys rotate twice, back to
// back: at once to the next key (published since the start), then, on schedule, to the key
// that first rotation has just created. That key is younger than the verifier's cached JWKS,
// so only the publication delay keeps it from signing before the verifier has it. Every
// token verifies, none names a kid the cached JWKS lacks (jose fetches again on an unknown
// kid only after a 30 s cool-down, so one would fail here), and tokens of all three keys are
// seen.
async function rotationUnderLoad(t: Tap, store: StoreName, algorithm: string): Promise<void> {
  const env = managed(algorithm, { KEYTURN_JWKS_MAX_AGE: '1' })
  const app = await build(t, { store, env })
  await createUser(app, { username: 'load' })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`), { cacheMaxAge: 1000 })
  const before = app.keys.signing().kid
  const seen = new Map<string, number>()
  const failures: string[] = []
  let verified = 0
  let rotated = false
  const rotation = new Promise((resolve) => setTimeout(resolve, 300))
    .then(() => app.keys.rotate('now'))
    .then(() => app.keys.rotate('scheduled'))
    .finally(() => (rotated = true))
  const oldest = await login(app, 'load')
  const started = Date.now()
  let lastKeySeenAt = Infinity
  // Until a second after the third key's first token, the rotations done (25 s at most).
  const done = () => rotated && Date.now() - lastKeySeenAt > 1000
  while (!done() && Date.now() - started < 25_000) {
    const pair = await login(app, 'load')
    for (const token of [pair.access, oldest.access]) {
      try {
        const { protectedHeader } = await jwtVerify(token, jwks, { algorithms: [algorithm] })
        verified++
        seen.set(protectedHeader.kid as string, (seen.get(protectedHeader.kid as string) ?? 0) + 1)
      } catch (err) {
        failures.push(`${(err as { code?: string }).code ?? (err as Error).message} (kid ${kidOf(token)})`)
      }
    }
    if (seen.size === 3 && lastKeySeenAt === Infinity) lastKeySeenAt = Date.now()
    const status = await me(app, pair.access)
    if (status !== 200) failures.push(`/api/user/: ${status}`)
  }
  await rotation
  t.same(failures, [], `no token failed (${verified} verified)`)
  const after = app.keys.signing().kid
  t.not(after, before, 'the next key signs now')
  t.ok((seen.get(before) ?? 0) > 0 && (seen.get(after) ?? 0) > 0, `tokens of the first and last keys were verified: ${JSON.stringify([...seen])}`)
  t.equal(seen.size, 3, 'and of the one between')
}

for (const store of stores()) {
  t.test(`catalogue 26 and 27: a revoked key's tokens are refused on every instance within a second (${store})`, async (t) => {
    const env = managed('EdDSA')
    const a = await build(t, { store, env })
    const b = await build(t, { url: a.config.KEYTURN_DATABASE_URL, env })
    await createUser(a, { username: 'r' })
    const k1 = await login(a, 'r')
    await a.keys.rotate('now')
    const k2 = await login(a, 'r')
    t.not(kidOf(k2.access), kidOf(k1.access))
    // B has verified both (and keeps them in its verified-token cache).
    t.equal(await me(b, k1.access), 200, 'a retired key still verifies')
    t.equal(await me(b, k2.access), 200)

    // The retired key, then the active one, revoked from a third process.
    const retired = kidOf(k1.access) as string
    const changes = await keysCommand(a.config.KEYTURN_DATABASE_URL, ['revoke', retired])
    t.match(changes, `${retired}: retired -> revoked`)
    const refusedAfter = await timeUntil(async () => (await me(b, k1.access)) === 401)
    t.ok(refusedAfter < 1000, `the retired-then-revoked key's token is refused on the other instance in ${refusedAfter} ms`)
    const refused = await b.inject({ url: '/api/user/', headers: bearer(k1.access) })
    t.same(refused.json(), {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
    })
    t.equal((await post(b, '/api/token/refresh/', { refresh: k1.refresh })).statusCode, 401, 'its refresh token too')
    t.equal(await me(b, k2.access), 200, 'the active key still verifies')

    // Introspection on B says the same as its Bearer routes (a global service asks).
    const { account, secret } = await a.serviceAccounts.create({ name: 'gateway', clientId: null, scopes: [] })
    const introspect = async (token: string) =>
      (
        await b.inject({
          method: 'POST',
          url: '/api/v1/oauth/introspect/',
          headers: { authorization: `Basic ${Buffer.from(`${account.oauth_client_id}:${secret}`).toString('base64')}` },
          payload: { token },
        })
      ).json<{ active: boolean }>().active
    t.equal(await introspect(k2.access), true)

    const active = kidOf(k2.access) as string
    await keysCommand(a.config.KEYTURN_DATABASE_URL, ['revoke', active])
    const activeRefusedAfter = await timeUntil(async () => (await me(b, k2.access)) === 401)
    t.ok(activeRefusedAfter < 1000, `the revoked active key's token is refused in ${activeRefusedAfter} ms`)
    const inactiveAfter = await timeUntil(async () => (await introspect(k2.access)) === false)
    t.ok(inactiveAfter < 1000, `and inactive at introspection (${inactiveAfter} ms after)`)
    t.equal((await post(b, '/api/token/verify/', { token: k2.access })).statusCode, 401)
    // A learns of it from the log on its own poll: within the second too, then its refresh
    // refuses the key's refresh token (a refresh is not retried: a success would spend it).
    const aRefusedAfter = await timeUntil(async () => (await me(a, k2.access)) === 401)
    t.ok(aRefusedAfter < 1000, `the first instance refuses it too (${aRefusedAfter} ms after the second)`)
    t.equal((await post(a, '/api/token/refresh/', { refresh: k2.refresh })).statusCode, 401)
    for (const app of [a, b]) {
      const keys = await jwksOf(app)
      t.notOk(keys.some((k) => k.kid === active || k.kid === retired), 'neither is published')
      const fresh = await login(app, 'r')
      t.not(kidOf(fresh.access), active, 'a new key signs')
      t.equal(await me(a, fresh.access), 200)
      t.equal(await me(b, fresh.access), 200)
    }
  })
}

// `keyturn keys ...` as an operator runs it, in a process of its own.
async function keysCommand(url: string, args: string[], env: Record<string, string> = managed('EdDSA')): Promise<string> {
  const procs = new ChildTracker({ teardown: () => {} })
  const result = await procs.run('cli/index.ts', ['keys', ...args], childEnv({ NODE_ENV: 'test', LOG_LEVEL: 'warn', KEYTURN_DATABASE_URL: url, ...env }))
  if (result.code !== 0) throw new Error(`keys ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}
