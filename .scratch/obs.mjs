import { Histogram, Registry } from 'prom-client'
const h = new Histogram({ name: 'x', help: 'x', labelNames: ['method', 'route', 'status_code'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [new Registry()] })
const N = 2_000_000
let t = performance.now()
for (let i = 0; i < N; i++) h.observe({ method: 'GET', route: '/api/user/', status_code: 200 }, 0.0012)
console.log('observe(labels)', ((performance.now() - t) * 1000 / N).toFixed(3), 'us')
const cache = new Map()
t = performance.now()
for (let i = 0; i < N; i++) {
  const key = 'GET' + '/api/user/' + 200
  let c = cache.get(key)
  if (!c) cache.set(key, (c = h.labels('GET', '/api/user/', '200')))
  c.observe(0.0012)
}
console.log('cached child', ((performance.now() - t) * 1000 / N).toFixed(3), 'us')
