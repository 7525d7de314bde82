// The metrics' own HTTP listener: GET /metrics in Prometheus' text format, nothing else. A
// small Fastify of its own, so the public app's hooks, limits and access log never see it.
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import type { Registry } from 'prom-client'

export interface MetricsListener {
  listen(host: string, port: number): Promise<string>
  close(): Promise<void>
}

export function metricsListener(log: FastifyBaseLogger, registry: Registry): MetricsListener {
  const server = Fastify({ loggerInstance: log.child({ listener: 'metrics' }), logController: new LogController({ disableRequestLogging: true }) })
  server.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
  // A probe: at debug, as the public health routes.
  server.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
    done()
  })
  return {
    async listen(host, port) {
      await server.listen({ host, port })
      const address = server.server.address()
      if (address === null || typeof address === 'string') return `${host}:${port}`
      return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
    },
    close: () => server.close(),
  }
}
