import t from 'tap'
import { Limiter } from '../../../plugins/infra/limiter.js'
import { PasswordHasher } from '../../../plugins/passwords/password-hasher.js'

t.test('at most `limit` tasks run at once, the rest in arrival order', async (t) => {
  const limiter = new Limiter(2)
  let running = 0
  let most = 0
  const started: number[] = []
  const task = (i: number) => async () => {
    started.push(i)
    running++
    most = Math.max(most, running)
    await new Promise((resolve) => setTimeout(resolve, 5))
    running--
    if (i === 3) throw new Error('a failing task frees its place too')
    return i
  }
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6].map((i) => limiter.run(task(i))))
  t.equal(most, 2)
  t.same(started, [0, 1, 2, 3, 4, 5, 6])
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
  t.equal(await limiter.run(async () => 'free again'), 'free again')
})

t.test('hashing goes through the limit and still verifies', async (t) => {
  const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, 1)
  const hashes = await Promise.all(['a', 'b', 'c'].map((p) => hasher.hash(p)))
  const checks = await Promise.all(hashes.map((h, i) => hasher.verify(h, ['a', 'b', 'c'][i] as string)))
  t.same(checks, [true, true, true])
  t.equal(await hasher.verify(hashes[0], 'b'), false)
})
