import { randomBytes } from 'node:crypto'
import t from 'tap'
import { VerifiedTokenCache } from '../../../plugins/tokens/verified-token-cache.js'
import { build, createUser, login, post, signJwt } from '../../helper.js'

const claims = (exp: number, nbf?: number) => ({ exp, ...(nbf === undefined ? {} : { nbf }), token_type: 'access' })

t.test('an entry lives inside its token lifetime only, leeway included', async (t) => {
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(10, 2000)
  cache.set('a', claims(100, 50))
  t.same(cache.get('a', 100_000), claims(100, 50), 'at exp')
  t.same(cache.get('a', 102_000), claims(100, 50), 'at exp plus leeway')
  t.same(cache.get('a', 48_000), claims(100, 50), 'at nbf minus leeway')
  t.equal(cache.get('a', 47_999), undefined, 'before nbf minus leeway')
  t.equal(cache.get('a', 102_001), undefined, 'past exp plus leeway')
  t.equal(cache.size, 0, 'an expired entry is dropped')
  t.equal(cache.get('b', 0), undefined, 'another token is another key')
})

t.test('bounded: the oldest entry goes first; entries are frozen', async (t) => {
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(2, 0)
  cache.set('a', claims(100))
  cache.set('b', claims(100))
  cache.set('c', claims(100))
  t.equal(cache.size, 2)
  t.equal(cache.get('a', 0), undefined)
  t.ok(cache.get('c', 0))
  t.ok(Object.isFrozen(cache.get('b', 0)))
})

t.test('a token is kept from its second verification on, so tokens seen once never fill the cache', async (t) => {
  const offered = claims(100)
  new VerifiedTokenCache<ReturnType<typeof claims>>(10, 0).set('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.once-only-signature', offered)
  t.ok(Object.isFrozen(offered), 'claims are frozen even when not kept')
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(10, 0)
  const token = (signature: string) => `eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.${signature}`
  cache.set(token('first-signature-AAAAAAAA'), claims(100))
  t.equal(cache.size, 0, 'not on its first verification')
  cache.set(token('first-signature-AAAAAAAA'), claims(100))
  t.equal(cache.size, 1, 'on its second')
  t.ok(cache.get(token('first-signature-AAAAAAAA'), 0))
  // Another token, offered once, is not kept.
  cache.set(token('third-signature-CCCCCCCC'), claims(100))
  t.equal(cache.size, 1)
  cache.clear()
  cache.set(token('third-signature-CCCCCCCC'), claims(100))
  t.equal(cache.size, 0, 'clear() forgets what was seen')
})

t.test('once full, a newcomer displaces the least recently used entry only on its fourth sighting', async (t) => {
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(2, 0)
  const token = (signature: string) => `eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.${signature}`
  for (const kept of ['kept-one-signature-AAAAAAAA', 'kept-two-signature-BBBBBBBB']) for (let i = 0; i < 2; i++) cache.set(token(kept), claims(100))
  t.equal(cache.size, 2, 'kept at the second sighting while there was room')
  const newcomer = token('newcomer-signature-CCCCCCCC')
  for (let i = 1; i <= 3; i++) {
    cache.set(newcomer, claims(100))
    t.equal(cache.get(newcomer, 0), undefined, `not kept at sighting ${i}`)
  }
  t.ok(cache.get(token('kept-one-signature-AAAAAAAA'), 0), 'the entries stay meanwhile')
  cache.set(newcomer, claims(100))
  t.ok(cache.get(newcomer, 0), 'kept at the fourth')
  t.equal(cache.size, 2)
  t.equal(cache.get(token('kept-two-signature-BBBBBBBB'), 0), undefined, 'in place of the least recently used')
  t.ok(cache.get(token('kept-one-signature-AAAAAAAA'), 0))
  // clear() forgets entries and sightings: with room again, the second sighting admits.
  cache.clear()
  for (let i = 0; i < 3; i++) cache.set(newcomer, claims(100))
  t.equal(cache.size, 1, 'with room again, the second sighting admits')
})

t.test('sized 0, nothing is kept, and claims are frozen all the same', async (t) => {
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(0, 0)
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.a-signature-AAAAAAAA'
  const offered = claims(100)
  for (let i = 0; i < 5; i++) cache.set(token, i === 0 ? offered : claims(100))
  t.equal(cache.size, 0)
  t.equal(cache.get(token, 0), undefined)
  t.ok(Object.isFrozen(offered))
  cache.clear()
})

t.test('a cache sized for many tokens in turn admits most of them at their second sighting', async (t) => {
  // 100 000 tokens offered twice in turn, as a gateway's users come back: with the doorkeeper's
  // table at 65 536 slots whatever the size, each slot was taken over between a token's two
  // sightings about four times in five.
  const tokens = Array.from({ length: 100_000 }, () => `eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.${randomBytes(32).toString('base64url')}`)
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(100_000, 0)
  for (let round = 0; round < 2; round++) for (const token of tokens) cache.set(token, claims(100))
  t.ok(cache.size > 75_000, `${cache.size} of 100 000 kept`)
})

t.test('a token verified before is refused once it expires, on verify and on a Bearer route', async (t) => {
  const app = await build(t, { env: { KEYTURN_ACCESS_TOKEN_LIFETIME: '2s' } })
  await createUser(app, { username: 'short' })
  const pair = await login(app, 'short')
  const bearer = { authorization: `Bearer ${pair.access}` }
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: bearer })).statusCode, 200)
  await new Promise((resolve) => setTimeout(resolve, 3100))
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: bearer })).statusCode, 401)
})

t.test('a revoked session is refused even though its token was verified before', async (t) => {
  const app = await build(t)
  await createUser(app, { username: 'gone' })
  const pair = await login(app, 'gone')
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 200)
  t.equal((await post(app, '/api/logout/', { refresh: pair.refresh })).statusCode, 200)
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 401)
})

t.test('a forged token is checked in full every time, even beside a cached genuine one', async (t) => {
  const app = await build(t)
  await createUser(app, { username: 'real' })
  const pair = await login(app, 'real')
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 200)
  const [header, payload] = pair.access.split('.')
  for (const forged of [`${header}.${payload}.`, `${header}.${payload}.AAAA`, signJwt({ alg: 'HS256', typ: 'JWT' }, JSON.parse(Buffer.from(payload as string, 'base64url').toString()), 'another key of at least thirty-two bytes')]) {
    t.equal((await post(app, '/api/token/verify/', { token: forged })).statusCode, 401)
  }
})
