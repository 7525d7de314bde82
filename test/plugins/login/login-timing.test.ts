// Catalogue 17, timing: an unknown user costs what a wrong password costs (a dummy argon2
// verify at the same parameters), so the time of the answer does not tell whether an
// account exists. Real argon2 parameters: with the test suite's cheap ones the difference
// a missing dummy verify would make is too small to see.
import t from 'tap'
import { build, createUser, post } from '../../helper.js'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

t.test('catalogue 17: unknown-user and wrong-password answers take the same time (medians)', async (t) => {
  const app = await build(t, { env: { KEYTURN_ARGON2_MEMORY_KIB: '19456', KEYTURN_ARGON2_TIME_COST: '2' } })
  await createUser(app, { username: 'hannah', password: 'the-right-one' })
  const timed = async (username: string) => {
    const started = process.hrtime.bigint()
    const res = await post(app, '/api/token/', { username, password: 'a-wrong-one' })
    t.equal(res.statusCode, 401)
    return Number(process.hrtime.bigint() - started) / 1e6
  }
  // One of each to warm up, then interleaved so drift on the machine hits both alike.
  await timed('hannah')
  await timed('nobody')
  const known: number[] = []
  const unknown: number[] = []
  for (let i = 0; i < 150; i++) {
    known.push(await timed('hannah'))
    unknown.push(await timed(`nobody${i}`))
  }
  const hash = median(known)
  const gap = Math.abs(hash - median(unknown))
  t.comment(`median wrong password ${hash.toFixed(1)} ms, unknown user ${median(unknown).toFixed(1)} ms`)
  // Without the dummy verify the unknown user would answer a whole hash (~the median) sooner.
  t.ok(hash > 5, 'the hash is dear enough for a missing one to show')
  t.ok(gap < Math.max(3, hash * 0.2), `medians within a few ms (gap ${gap.toFixed(1)} ms)`)
})
