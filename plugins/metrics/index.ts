// The `metrics` concern: Prometheus metrics (prom-client) on a listener of their own,
// KEYTURN_METRICS_HOST:KEYTURN_METRICS_PORT (127.0.0.1:9464), never on the public port: a
// scrape must not be reachable by the clients the service faces. Each metric reads what its
// concern offers (events, the revocation poll, the hasher, the store's stats, the rate
// limits); no label holds a user, token, IP or other unbounded value. Port 0: no metrics,
// and no per-request cost.
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { eventLoopDelayMetrics, PROM_CLIENT_SAMPLE_MS } from './event-loop-delay.js'
import { authMetrics } from './auth-metrics.js'
import { httpMetrics } from './http-metrics.js'
import { metricsListener } from './metrics-listener.js'
import { serviceMetrics } from './service-metrics.js'
import { webhookMetrics } from './webhook-metrics.js'

export interface Metrics {
  registry: Registry
  // Where GET /metrics answers once the app is ready ("127.0.0.1:9464"); null when off.
  address: string | null
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    const metrics: Metrics = { registry: new Registry(), address: null }
    fastify.decorate('metrics', metrics)
    if (config.KEYTURN_METRICS_PORT === 0) return
    const { registry } = metrics
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: PROM_CLIENT_SAMPLE_MS })
    // The event-loop delay as the delay itself, sampled every 100 ms while requests come
    // (event-loop-delay.ts).
    const delay = eventLoopDelayMetrics(registry)
    fastify.addHook('onClose', async () => delay.stop())
    httpMetrics(fastify, registry, delay.served)
    authMetrics(fastify, registry)
    serviceMetrics(fastify, registry)
    webhookMetrics(fastify, registry)
    const listener = metricsListener(fastify.log, registry)
    // Once the app is ready, so that a scrape never meets a half-built service; a port in use
    // fails the start.
    fastify.addHook('onReady', async () => {
      metrics.address = await listener.listen(config.KEYTURN_METRICS_HOST, config.KEYTURN_METRICS_PORT)
      fastify.log.info({ address: metrics.address }, 'metrics listening')
    })
    fastify.addHook('onClose', async () => listener.close())
  },
  { name: 'metrics', dependencies: ['config', 'db', 'events', 'passwords', 'revocations', 'rate-limit', 'admin', 'webhooks'] },
)
