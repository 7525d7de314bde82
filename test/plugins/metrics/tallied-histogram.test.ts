import { Histogram, Registry } from 'prom-client'
import t from 'tap'
import { TalliedHistogram } from '../../../plugins/metrics/tallied-histogram.js'

const BOUNDS = [0.001, 0.01, 0.1, 1]
// Values on, between, below and above the bounds, for two label sets.
const OBSERVED: [{ method: string; route: string; status_code: number }, number][] = [
  [{ method: 'POST', route: '/api/token/', status_code: 200 }, 0.0005],
  [{ method: 'POST', route: '/api/token/', status_code: 200 }, 0.001],
  [{ method: 'POST', route: '/api/token/', status_code: 200 }, 0.05],
  [{ method: 'POST', route: '/api/token/', status_code: 200 }, 7],
  [{ method: 'GET', route: 'unmatched', status_code: 404 }, 0.1],
  [{ method: 'GET', route: 'unmatched', status_code: 404 }, 0.0101],
]

t.test("/metrics shows the lines prom-client's own Histogram shows for the same observations", async (t) => {
  const theirs = new Registry()
  const histogram = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['method', 'route', 'status_code'], buckets: BOUNDS, registers: [theirs] })
  const ours = new Registry()
  const tallied = new TalliedHistogram('x_seconds', 'help text', BOUNDS, ours)
  for (const [labels, value] of OBSERVED) {
    histogram.observe(labels, value)
    const key = `${labels.method} ${labels.status_code} ${labels.route}`
    ;(tallied.series(key) ?? tallied.add(key, labels)).observe(value)
  }
  const text = await ours.metrics()
  t.equal(text, await theirs.metrics())
  t.match(text, /^x_seconds_bucket\{le="0.01",method="POST",route="\/api\/token\/",status_code="200"\} 2$/m, 'cumulative buckets')
  t.match(text, /^x_seconds_count\{method="POST",route="\/api\/token\/",status_code="200"\} 4$/m)
  // The JSON form too, but for the exemplar slots prom-client's histogram leaves empty.
  const json = async (registry: Registry) =>
    (await registry.getMetricsAsJSON()).map(({ values, ...metric }) => ({
      ...metric,
      values: values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({ labels, value, metricName })),
    }))
  t.same(await json(ours), await json(theirs), 'the JSON form too')

  ours.resetMetrics()
  t.notMatch(await ours.metrics(), /x_seconds_count/, 'reset empties every series')
})

t.test('a series is found again by its key; values that are not finite are refused, as prom-client refuses them', async (t) => {
  const tallied = new TalliedHistogram('y_seconds', 'help', BOUNDS, new Registry())
  t.equal(tallied.series('a'), undefined)
  const a = tallied.add('a', { route: 'a' })
  t.equal(tallied.series('a'), a)
  a.observe(0.5)
  a.observe(2)
  a.observe(Number.NaN)
  a.observe(Number.POSITIVE_INFINITY)
  t.same([...a.counts], [0, 0, 0, 1, 1])
  t.equal(a.count, 2)
  t.equal(a.sum, 2.5)
})
