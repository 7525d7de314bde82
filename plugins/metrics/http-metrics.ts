// Requests by route template, method and status, with their duration: one histogram, whose
// _count is the request counter. A URL matching no route is "unmatched", so scanners cannot
// add series.
import type { FastifyInstance } from 'fastify'
import { Histogram, type Registry } from 'prom-client'

export function httpMetrics(fastify: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'keyturn_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, and how long each took',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe({ method: request.method, route: request.routeOptions.config.url ?? 'unmatched', status_code: reply.statusCode }, reply.elapsedTime / 1000)
    done()
  })
}
