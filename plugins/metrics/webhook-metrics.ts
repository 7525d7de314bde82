// Webhook deliveries: every attempt by outcome (delivered, failed and to be retried,
// gave_up), how long receivers took, and the deliveries waiting in the outbox.
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export function webhookMetrics(fastify: FastifyInstance, registry: Registry): void {
  const registers = [registry]
  const { webhooks } = fastify
  const attempts = new Counter({
    name: 'keyturn_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed (to be retried), gave_up (too old, or the endpoint switched off)',
    labelNames: ['outcome'],
    registers,
  })
  for (const outcome of ['delivered', 'failed', 'gave_up']) attempts.labels(outcome).inc(0)
  const duration = new Histogram({
    name: 'keyturn_webhook_delivery_duration_seconds',
    help: 'How long a webhook receiver took to answer an attempt (or to fail it)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  webhooks.onAttempt((outcome, seconds) => {
    attempts.labels(outcome).inc()
    duration.observe(seconds)
  })
  new Gauge({
    name: 'keyturn_webhook_queue_depth',
    help: 'Webhook deliveries not yet made (due now or waiting for a retry), every instance together',
    registers,
    async collect() {
      try {
        this.set(await webhooks.pending())
      } catch (err) {
        fastify.log.warn({ code: (err as { code?: string }).code }, 'metrics: counting webhook deliveries failed')
      }
    },
  })
}
