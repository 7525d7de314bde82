// Per-IP request limits (@fastify/rate-limit), applied only where a route opts in through
// `onRequest: fastify.rateLimits.<kind>` (login, refresh, verify, blacklist and the
// logouts), and the per-account login backoff. One limiter per kind, shared by all the URL
// aliases of that kind: a route's own `config.rateLimit` would give each alias a budget of
// its own (@fastify/rate-limit keeps a store per route), five login aliases five budgets.
// The client IP is request.ip, which honours X-Forwarded-For only when KEYTURN_TRUST_PROXY
// trusts the proxy. With KEYTURN_REDIS_URL both are shared by every instance; while Redis
// is down, per-IP limits are skipped (logged) and the backoff falls back to memory.
import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { parseDuration } from '../auth/durations.js'
import { sourceOf } from '../auth/audit.js'
import { ApiError } from '../auth/errors.js'
import { LoginThrottle, type Throttle } from '../auth/login-throttle.js'
import { RedisLoginThrottle } from '../auth/login-throttle-redis.js'

// An onRequest hook answering 429 (with Retry-After and the x-ratelimit-* headers) past the limit.
export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>
const LIMIT_KINDS = ['login', 'refresh', 'verify', 'blacklist'] as const

declare module 'fastify' {
  interface FastifyInstance {
    // The hooks to put in a route's onRequest; none when the limit is switched off (0).
    rateLimits: Record<(typeof LIMIT_KINDS)[number], RateLimitHook[]>
    loginThrottle: Throttle
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    const maxBackoff = parseDuration(config.KEYTURN_LOGIN_MAX_BACKOFF)
    let redis: Redis | undefined
    let lastRedisWarning = 0
    const redisFailed = (err: unknown) => {
      // One line a minute at most: an outage must not flood the log.
      if (Date.now() - lastRedisWarning > 60_000) {
        lastRedisWarning = Date.now()
        fastify.log.warn({ err: (err as Error).message }, 'redis unavailable: per-IP limits skipped, login backoff per instance')
      }
    }
    if (config.KEYTURN_REDIS_URL) {
      redis = new Redis(config.KEYTURN_REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
        lazyConnect: false,
      })
      redis.on('error', redisFailed)
      fastify.addHook('onClose', async () => {
        redis?.disconnect()
      })
    }

    await fastify.register(rateLimit, {
      global: false,
      ...(redis ? { redis, nameSpace: `${config.KEYTURN_REDIS_PREFIX}rate-limit:`, skipOnError: true } : {}),
      // Once per client and window into the audit trail (plugins/audit.ts), not per request.
      onExceeded: (request) => fastify.audit.rateLimited(sourceOf(request), request.routeOptions.url ?? 'unknown route'),
      // DRF's throttled answer; @fastify/rate-limit has already set Retry-After.
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, {
          detail: `Request was throttled. Expected available in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
        }),
    })
    const throttle: Throttle = redis
      ? new RedisLoginThrottle(redis, config.KEYTURN_REDIS_PREFIX, config.KEYTURN_LOGIN_FREE_FAILURES, maxBackoff, redisFailed)
      : new LoginThrottle(config.KEYTURN_LOGIN_FREE_FAILURES, maxBackoff)
    fastify.decorate('loginThrottle', throttle)
    const timeWindow = parseDuration(config.KEYTURN_RATE_LIMIT_WINDOW)
    const maxima = {
      login: config.KEYTURN_LOGIN_RATE_LIMIT,
      refresh: config.KEYTURN_REFRESH_RATE_LIMIT,
      verify: config.KEYTURN_VERIFY_RATE_LIMIT,
      blacklist: config.KEYTURN_BLACKLIST_RATE_LIMIT,
    }
    const hooks = {} as Record<(typeof LIMIT_KINDS)[number], RateLimitHook[]>
    for (const kind of LIMIT_KINDS) {
      const max = maxima[kind]
      // The kind is in the key: on Redis every limiter made this way shares one key space.
      hooks[kind] = max > 0 ? [fastify.rateLimit({ max, timeWindow, keyGenerator: (request) => `${kind}:${request.ip}` }) as RateLimitHook] : []
    }
    fastify.decorate('rateLimits', hooks)
  },
  { name: 'rate-limit', dependencies: ['config'] },
)
