import t from 'tap'
import { retryUntilClosed } from '../../../plugins/revocation/retry-until-closed.js'

// Settles with what `work` settles to, or 'late' after `ms`. The timer is a ref'd one, so this
// test's process stays alive to tell.
const within = async <T>(work: Promise<T>, ms: number): Promise<T | 'late'> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

t.test('a failed attempt is tried again after the interval, until one succeeds', async (t) => {
  let attempts = 0
  const failures: string[] = []
  const closed = new AbortController()
  const run = retryUntilClosed(
    async () => {
      attempts++
      if (attempts < 3) throw new Error(`store down ${attempts}`)
    },
    10,
    closed.signal,
    (err) => failures.push((err as Error).message),
  )
  // The waits' timers do not keep a process alive (a server's socket does): this one's does.
  t.equal(await within(run.then(() => 'done' as const), 5_000), 'done')
  t.equal(attempts, 3)
  t.same(failures, ['store down 1', 'store down 2'])
})

t.test('a close during the wait ends it at once, however long the interval', async (t) => {
  let attempts = 0
  const closed = new AbortController()
  const run = retryUntilClosed(
    async () => {
      attempts++
      throw new Error('store down')
    },
    60_000,
    closed.signal,
    () => closed.abort(),
  )
  t.equal(await within(run.then(() => 'done' as const), 2_000), 'done', 'resolved, not waiting a minute for its timer')
  t.equal(attempts, 1)
})

t.test('a close during an attempt: its failure is not reported, and nothing is tried again', async (t) => {
  const failures: unknown[] = []
  const closed = new AbortController()
  let attempts = 0
  await retryUntilClosed(
    async () => {
      attempts++
      closed.abort()
      throw new Error('closing')
    },
    10,
    closed.signal,
    (err) => failures.push(err),
  )
  t.equal(attempts, 1)
  t.same(failures, [])
})

t.test('closed before it starts: no attempt at all', async (t) => {
  const closed = new AbortController()
  closed.abort()
  let attempts = 0
  await retryUntilClosed(async () => void attempts++, 10, closed.signal, () => {})
  t.equal(attempts, 0)
})
