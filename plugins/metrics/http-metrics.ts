// Requests by route template, method and status, with their duration: one histogram, whose
// _count is the request counter. A URL matching no route is "unmatched", so scanners cannot
// add series. The histogram is tallied here (tallied-histogram.ts): it is observed on every
// request.
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { TalliedHistogram } from './tallied-histogram.js'

// `served` hears of every answer.
export function httpMetrics(fastify: FastifyInstance, registry: Registry, served: () => void): void {
  const duration = new TalliedHistogram(
    'keyturn_http_request_duration_seconds',
    'HTTP requests by route template, method and status, and how long each took',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registry,
  )
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.config.url ?? 'unmatched'
    const { method } = request
    const status = reply.statusCode
    // A route template never holds a space, and a method is a token: the key is unambiguous.
    const key = `${method} ${status} ${route}`
    const series = duration.series(key) ?? duration.add(key, { method, route, status_code: status })
    series.observe(reply.elapsedTime / 1000)
    served()
    done()
  })
}
