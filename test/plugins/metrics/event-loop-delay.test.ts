// The event-loop delay is sampled while the service answers requests: from the start, and
// again from an answer until the idle time passes with none. A pause in the samples is not
// a delay.
import t from 'tap'
import { Registry } from 'prom-client'
import { eventLoopDelayMetrics } from '../../../plugins/metrics/event-loop-delay.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('samples stop when nothing is served and start again on an answer, the pause not counted', async (t) => {
  const registry = new Registry()
  const delay = eventLoopDelayMetrics(registry, 300)
  t.teardown(() => delay.stop())
  const max = async () => Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await registry.metrics())?.[1])

  await sleep(250)
  t.ok((await max()) > 0, 'sampled from the start')
  await sleep(800)
  await max()
  await sleep(500)
  t.equal(await max(), 0, 'no sample once nothing was served for the idle time')

  delay.served()
  await sleep(250)
  const resumed = await max()
  t.ok(resumed > 0, 'sampled again after an answer')
  t.ok(resumed < 0.05, `the 1.3 s without samples is not a delay (${resumed} s)`)

  // An answer now and then keeps the samples going.
  for (let i = 0; i < 4; i++) {
    await sleep(200)
    delay.served()
  }
  t.ok((await max()) > 0, 'still sampled while answers come')

  delay.stop()
  delay.served()
  await max()
  await sleep(250)
  t.equal(await max(), 0, 'stopped for good')
})
