// The Redis connection shared by every instance's limits, when KEYTURN_REDIS_URL is set. An
// outage must neither crash the process nor flood the log: each user of it falls back (per-IP
// limits are skipped, the login backoff goes per instance) and says so once a minute.
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

export interface SharedRedis {
  client: Redis | undefined
  // Logs a failure, once a minute at most.
  failed(err: unknown): void
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: SharedRedis
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    let lastWarning = 0
    const failed = (err: unknown) => {
      if (Date.now() - lastWarning > 60_000) {
        lastWarning = Date.now()
        fastify.log.warn({ err: (err as Error).message }, 'redis unavailable: per-IP limits skipped, login backoff per instance')
      }
    }
    let client: Redis | undefined
    if (config.KEYTURN_REDIS_URL) {
      // Loaded only when asked for: an instance without Redis does not carry the client.
      const { Redis } = await import('ioredis')
      client = new Redis(config.KEYTURN_REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
        lazyConnect: false,
      })
      client.on('error', failed)
      fastify.addHook('onClose', async () => {
        client?.disconnect()
      })
    }
    fastify.decorate('redis', { client, failed })
  },
  { name: 'redis', dependencies: ['config'] },
)
