// Per-IP request limits with @fastify/rate-limit, and the per-account login backoff.
// Per-IP limits come from @fastify/rate-limit, applied only where a route opts in through
// `config: { rateLimit: fastify.rateLimits.login }`. The client IP is request.ip, which
// honours X-Forwarded-For only when KEYTURN_TRUST_PROXY says a proxy is trusted.
import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { parseDuration } from '../auth/durations.js'
import { ApiError } from '../auth/errors.js'
import { LoginThrottle } from '../auth/login-throttle.js'

export interface RouteRateLimit {
  max: number
  timeWindow: number
}

declare module 'fastify' {
  interface FastifyInstance {
    // false when the limit is switched off (0)
    rateLimits: { login: RouteRateLimit | false }
    loginThrottle: LoginThrottle
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    await fastify.register(rateLimit, {
      global: false,
      // DRF's throttled answer; @fastify/rate-limit has already set Retry-After.
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, {
          detail: `Request was throttled. Expected available in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
        }),
    })
    const window = parseDuration(config.KEYTURN_RATE_LIMIT_WINDOW)
    fastify.decorate(
      'loginThrottle',
      new LoginThrottle(config.KEYTURN_LOGIN_FREE_FAILURES, parseDuration(config.KEYTURN_LOGIN_MAX_BACKOFF)),
    )
    fastify.decorate('rateLimits', {
      login: config.KEYTURN_LOGIN_RATE_LIMIT > 0 ? { max: config.KEYTURN_LOGIN_RATE_LIMIT, timeWindow: window } : false,
    })
  },
  { name: 'rate-limit', dependencies: ['config'] },
)
