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

t.test('an entry is found by its own token only, whatever was looked up just before', async (t) => {
  // set() reuses the digest of the token get() was last asked about: only for that token.
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(10, 0)
  t.equal(cache.get('token-a', 0), undefined)
  cache.set('token-b', claims(100))
  t.equal(cache.get('token-a', 0), undefined, 'the token looked up before is not the one kept')
  t.ok(cache.get('token-b', 0), 'the one kept is found')
  cache.set('token-a', claims(200))
  t.equal(cache.get('token-a', 0)?.exp, 200)
  t.equal(cache.get('token-b', 0)?.exp, 100)
  t.equal(cache.get(`token-${'a'}`, 0)?.exp, 200, 'the same text built anew is the same token')
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

t.test('past the entries, a token verified before is remembered by digest: its claims read again, inside its lifetime only', async (t) => {
  let rereads = 0
  const reread = (token: string) => {
    rereads++
    if (token.endsWith('unreadable')) throw new Error('not a token')
    return claims(100, token.includes('later') ? 60 : undefined)
  }
  // No entries at all: only the digests.
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(0, 1000, 100, reread)
  cache.set('a token', claims(100))
  t.same(cache.get('a token', 50_000), claims(100), 'found by its digest')
  t.equal(rereads, 1, 'its claims read off the token again')
  t.ok(Object.isFrozen(cache.get('a token', 50_000)), 'frozen as entries are')
  t.same(cache.get('a token', 101_000), claims(100), 'at exp plus leeway')
  rereads = 0
  t.equal(cache.get('a token', 101_001), undefined, 'past exp plus leeway')
  t.equal(rereads, 0, 'an expired digest is not read again')
  t.equal(cache.get('another token', 0), undefined, 'another token is not remembered')
  cache.set('a later token', claims(100, 60))
  t.equal(cache.get('a later token', 58_999), undefined, 'before nbf minus leeway')
  t.ok(cache.get('a later token', 59_000))
  cache.set('unreadable', claims(100))
  t.equal(cache.get('unreadable', 0), undefined, 'a token that cannot be read again is a miss')
  cache.clear()
  t.equal(cache.get('a token', 50_000), undefined, 'clear() forgets the digests too')
})

t.test('a token found by its digest is counted by the doorkeeper and enters the entries as a verified one would', async (t) => {
  let rereads = 0
  const reread = () => {
    rereads++
    return claims(100)
  }
  const cache = new VerifiedTokenCache<ReturnType<typeof claims>>(10, 0, 100, reread)
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.a-signature-AAAAAAAA'
  cache.set(token, claims(100))
  t.equal(cache.size, 0, 'not an entry at its first sighting')
  t.ok(cache.get(token, 0), 'found by its digest')
  t.equal(cache.size, 1, 'an entry at its second')
  t.ok(cache.get(token, 0))
  t.equal(rereads, 1, 'read again once, then found as an entry')
  t.equal(new VerifiedTokenCache<ReturnType<typeof claims>>(10, 0, 100).get(token, 0), undefined, 'without a way to read claims, no digests are kept')
})

t.test('only the digests: a remembered token still ends with its lifetime, its session, and forgeries fail', async (t) => {
  const app = await build(t, { env: { KEYTURN_VERIFIED_TOKEN_CACHE_SIZE: '0', KEYTURN_ACCESS_TOKEN_LIFETIME: '2s' } })
  await createUser(app, { username: 'digest' })
  const pair = await login(app, 'digest')
  const bearer = { authorization: `Bearer ${pair.access}` }
  for (let i = 0; i < 3; i++) t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 200)
  const me = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer })
  t.equal(me.statusCode, 200)
  t.equal((me.json() as { username: string }).username, 'digest', 'the claims read again name the user')
  const [header, payload] = pair.access.split('.')
  for (const forged of [`${header}.${payload}.`, `${header}.${payload}.AAAA`, signJwt({ alg: 'HS256', typ: 'JWT' }, JSON.parse(Buffer.from(payload as string, 'base64url').toString()), 'another key of at least thirty-two bytes')]) {
    t.equal((await post(app, '/api/token/verify/', { token: forged })).statusCode, 401)
  }
  const other = await login(app, 'digest')
  t.equal((await post(app, '/api/token/verify/', { token: other.access })).statusCode, 200)
  t.equal((await post(app, '/api/logout/', { refresh: other.refresh })).statusCode, 200)
  t.equal((await post(app, '/api/token/verify/', { token: other.access })).statusCode, 401, 'its session ended')
  await new Promise((resolve) => setTimeout(resolve, 3100))
  t.equal((await post(app, '/api/token/verify/', { token: pair.access })).statusCode, 401, 'expired')
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: bearer })).statusCode, 401)
})
