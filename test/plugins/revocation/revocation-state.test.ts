// What each instance keeps in memory: revoked sessions pruned from the front of a time-ordered
// queue, and users in an LRU whose misses read the store once and never cache a read that a
// change overtook.
import t from 'tap'
import { RevokedSessions } from '../../../plugins/revocation/revoked-sessions.js'
import { UserCache, type CachedUser } from '../../../plugins/revocation/user-cache.js'

const user = (id: number, clientId: number | null = null): CachedUser => ({ id, client_id: clientId, username: `u${id}` }) as CachedUser

// Forget-at times are kept to a tenth of a second, rounded up: an entry may outlive its
// retention by up to 100 ms, never fall short of it.
t.test('revoked sessions', async (t) => {
  t.test('kept for the retention after their revocation, then forgotten', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.add(1, 10_000)
    sessions.add(2, 10_500)
    sessions.prune(10_999)
    t.ok(sessions.has(1) && sessions.has(2), 'both still within the retention')
    sessions.prune(11_100)
    t.notOk(sessions.has(1), 'the first expired')
    t.ok(sessions.has(2), 'the second not yet')
    sessions.prune(11_600)
    t.equal(sessions.size, 0)
    t.equal(sessions.queued, 0, 'the queue is empty too')
  })

  t.test('a session revoked again is kept until its later revocation expires', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.add(7, 10_000)
    sessions.add(7, 12_000)
    sessions.add(7, 9_000) // an older row read again: changes nothing
    sessions.prune(11_500)
    t.ok(sessions.has(7), 'the first entry expired, the second holds')
    sessions.prune(13_100)
    t.notOk(sessions.has(7))
  })

  t.test('an entry out of order is kept longer, never forgotten early', async (t) => {
    const sessions = new RevokedSessions(1000)
    sessions.add(1, 10_000)
    sessions.add(2, 9_000) // another instance's clock a second behind
    sessions.prune(10_500)
    t.ok(sessions.has(2), 'waits behind the entry in front of it')
    sessions.prune(11_100)
    t.notOk(sessions.has(1) || sessions.has(2))
  })

  t.test('room reserved for a start keeps the queue in order, wrapped or not', async (t) => {
    // The same steps on a twin that grows as it goes: the two must agree throughout.
    const reserved = new RevokedSessions(1000)
    const grown = new RevokedSessions(1000)
    const both = (fn: (s: RevokedSessions) => void) => [reserved, grown].forEach(fn)
    both((s) => {
      for (let sid = 1; sid <= 1000; sid++) s.add(sid, 10_000 + sid)
      s.prune(11_500) // the ring's front has moved on: what comes next wraps around its end
      for (let sid = 1001; sid <= 1500; sid++) s.add(sid, 10_000 + sid)
    })
    const before = reserved.size
    t.ok(before > 500 && before < 1500, `some of the first went (${before} held)`)
    reserved.reserve(100_000)
    t.equal(reserved.size, before)
    t.equal(reserved.queued, before)
    both((s) => {
      for (let sid = 1501; sid <= 3000; sid++) s.add(sid, 10_000 + sid)
      s.prune(12_400)
    })
    t.equal(reserved.size, grown.size)
    t.ok(reserved.size > 0 && reserved.size < 3000 - before)
    let differ = 0
    for (let sid = 1; sid <= 3000; sid++) if (reserved.has(sid) !== grown.has(sid)) differ++
    t.equal(differ, 0, 'the same sessions held, pruned from the front in order')
  })

  t.test('pruning takes from the front only: held entries are not walked', async (t) => {
    const sessions = new RevokedSessions(60_000)
    for (let sid = 1; sid <= 100_000; sid++) sessions.add(sid, sid * 1000)
    t.equal(sessions.size, 100_000)
    sessions.prune(70_100)
    t.equal(sessions.size, 100_000 - 10, 'exactly the ten expired entries went')
    t.notOk(sessions.has(10))
    t.ok(sessions.has(11))
  })
})

t.test('user cache', async (t) => {
  t.test('least recently used out first, one at a time', async (t) => {
    const reads: number[] = []
    const cache = new UserCache(3, async (id) => {
      reads.push(id)
      return user(id)
    })
    for (const id of [1, 2, 3]) await cache.load(id)
    await cache.load(1) // 1 is now the most recently used
    await cache.load(4) // evicts 2, the least recently used
    t.equal(cache.size, 3, 'never more than its size')
    t.same(cache.get(2), undefined, '2 went')
    t.ok(cache.get(1) && cache.get(3) && cache.get(4), 'the others stay')
    t.same(reads, [1, 2, 3, 4], 'hits read nothing')
  })

  t.test('a miss reads the store once, however many wait for it', async (t) => {
    let reads = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const cache = new UserCache(10, async (id) => {
      reads++
      await gate
      return user(id)
    })
    const waiting = Array.from({ length: 50 }, () => cache.load(5))
    release()
    const users = await Promise.all(waiting)
    t.equal(reads, 1, 'one read for fifty requests')
    t.ok(users.every((u) => u?.id === 5))
  })

  t.test('a user that does not exist is remembered as such', async (t) => {
    let reads = 0
    const cache = new UserCache(10, async () => {
      reads++
      return null
    })
    t.equal(await cache.load(9), null)
    t.equal(await cache.load(9), null)
    t.equal(reads, 1)
  })

  t.test('a change heard while a read is in flight keeps that read out of the cache', async (t) => {
    let version = 1
    let release!: () => void
    let gate = new Promise<void>((resolve) => (release = resolve))
    const cache = new UserCache(10, async (id) => {
      const seen = version // the row as the store had it when read
      await gate
      return { ...user(id), username: `v${seen}` }
    })
    const stale = cache.load(1)
    version = 2
    cache.forget(1) // the change reaches this process while the read is out
    release()
    t.equal((await stale)?.username, 'v1', 'the caller that raced the change gets what was read')
    t.equal(cache.get(1), undefined, 'but it is not cached')
    gate = Promise.resolve()
    t.equal((await cache.load(1))?.username, 'v2', 'the next request reads the changed row')
    t.equal(cache.get(1)?.username, 'v2')
  })

  t.test('a failed read is not cached and is not shared with later requests', async (t) => {
    let fail = true
    const cache = new UserCache(10, async (id) => {
      if (fail) throw new Error('store down')
      return user(id)
    })
    await t.rejects(cache.load(1), /store down/)
    fail = false
    t.equal((await cache.load(1))?.id, 1)
  })

  t.test("a client's change drops its users only", async (t) => {
    const cache = new UserCache(10, async (id) => user(id, id <= 2 ? 7 : 8))
    for (const id of [1, 2, 3]) await cache.load(id)
    cache.forgetClientUsers(7)
    t.same([cache.get(1), cache.get(2)], [undefined, undefined])
    t.equal(cache.get(3)?.id, 3)
  })
  t.test('past its first users, entries are kept packed and read back whole', async (t) => {
    const full = (id: number, clientId: number | null): CachedUser => ({
      id,
      client_id: clientId,
      username: `user,"${id}"`,
      email: id % 2 === 0 ? null : `u${id}@example.com`,
      first_name: 'Zoë',
      last_name: '',
      client_name: clientId === null ? null : `tenant ${clientId}`,
      is_active: 1,
      is_staff: id % 2,
      is_superuser: 0,
      is_manager: 0,
      date_joined: 1_700_000_000_000 + id,
      last_login: id % 3 === 0 ? null : 1_800_000_000_000 + id,
      expires_at: null,
      created_at: 1_700_000_000_000,
      updated_at: 1_750_000_000_000 + id,
    })
    const tenantOf = (id: number): number | null => (id % 2 === 0 ? 7 : null)
    const cache = new UserCache(10, async (id) => (id === 99 ? null : full(id, tenantOf(id))), 2)
    for (let id = 1; id <= 6; id++) await cache.load(id)
    t.equal(await cache.load(99), null, 'a user that does not exist is still null')
    for (let id = 1; id <= 6; id++) t.strictSame(cache.get(id), full(id, tenantOf(id)), `user ${id} as read`)
    t.not(cache.get(5), cache.get(5), 'a packed user is unpacked afresh for each reader')
    t.equal(cache.get(1), cache.get(1), 'the first ones are kept as objects')
    cache.forgetClientUsers(7)
    t.same([1, 2, 3, 4, 5, 6].filter((id) => cache.get(id) !== undefined), [1, 3, 5], "the tenant's users go, packed or not")
    t.equal(cache.get(99), null)
  })
})
