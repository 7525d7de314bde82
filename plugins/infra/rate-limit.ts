// Per-IP request limits (@fastify/rate-limit), applied only where a route opts in with the
// hooks `fastify.rateLimits.perIp(kind, max)` returns. One limiter per kind, shared by all the
// routes given it (the URL aliases of an endpoint): a route's own `config.rateLimit` would
// give each alias a budget of its own (@fastify/rate-limit keeps a store per route), five
// login aliases five budgets. The client IP is request.ip, which honours X-Forwarded-For only
// when KEYTURN_TRUST_PROXY trusts the proxy. With KEYTURN_REDIS_URL the counts are shared by
// every instance; while Redis is down, the limits are skipped (logged).
import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from './api-error.js'

// An onRequest hook answering 429 (with Retry-After and the x-ratelimit-* headers) past the limit.
export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

export interface RateLimits {
  // The hooks to put in a route's onRequest: none when `max` is 0 (the limit is off).
  perIp(kind: string, max: number): RateLimitHook[]
  // Told of every refused request and its limit's kind (the audit trail and metrics count them).
  onExceeded(listener: (request: FastifyRequest, kind: string) => void): void
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: RateLimits
  }
}

export default fp(
  async (fastify) => {
    const { config, redis } = fastify
    const listeners: Array<(request: FastifyRequest, kind: string) => void> = []
    await fastify.register(rateLimit, {
      global: false,
      ...(redis.client ? { redis: redis.client, nameSpace: `${config.KEYTURN_REDIS_PREFIX}rate-limit:`, skipOnError: true } : {}),
      // The key is `${kind}:${ip}` (perIp's keyGenerator).
      onExceeded: (request, key) => {
        const kind = key.slice(0, key.indexOf(':'))
        for (const listener of listeners) listener(request, kind)
      },
      // DRF's throttled answer; @fastify/rate-limit has already set Retry-After.
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, {
          detail: `Request was throttled. Expected available in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
        }),
    })
    const limiters = new Map<string, { max: number; hooks: RateLimitHook[] }>()
    fastify.decorate('rateLimits', {
      perIp(kind, max) {
        const known = limiters.get(kind)
        if (known) {
          if (known.max !== max) throw new Error(`rate limit "${kind}" is already set to ${known.max} per window`)
          return known.hooks
        }
        // The kind is in the key: on Redis every limiter made this way shares one key space.
        const hooks =
          max > 0
            ? [fastify.rateLimit({ max, timeWindow: config.KEYTURN_RATE_LIMIT_WINDOW, keyGenerator: (request) => `${kind}:${request.ip}` }) as RateLimitHook]
            : []
        limiters.set(kind, { max, hooks })
        return hooks
      },
      onExceeded(listener) {
        listeners.push(listener)
      },
    })
  },
  { name: 'rate-limit', dependencies: ['config', 'redis'] },
)
