// The `login` concern: a username (or email) and password for a token pair and a new session,
// behind a per-IP limit and a per-account backoff.
import fp from 'fastify-plugin'
import type { LoginResponse } from '../../schemas/login.js'
import type { RateLimitHook } from '../infra/rate-limit.js'
import { login, type LoginInput } from './login-flow.js'
import { LoginThrottle } from './login-throttle.js'
import { RedisLoginThrottle } from './login-throttle-redis.js'

export interface LoginService {
  attempt(input: LoginInput): Promise<LoginResponse>
  readonly rateLimit: RateLimitHook[]
}

declare module 'fastify' {
  interface FastifyInstance {
    login: LoginService
  }
}

export default fp(
  async (fastify) => {
    const { config, redis } = fastify
    // With Redis the backoff holds across instances; while Redis is down, per instance.
    const throttle = redis.client
      ? new RedisLoginThrottle(redis.client, config.KEYTURN_REDIS_PREFIX, config.KEYTURN_LOGIN_FREE_FAILURES, config.KEYTURN_LOGIN_MAX_BACKOFF, redis.failed)
      : new LoginThrottle(config.KEYTURN_LOGIN_FREE_FAILURES, config.KEYTURN_LOGIN_MAX_BACKOFF)
    fastify.decorate('login', {
      attempt: (input) => login(fastify, throttle, input),
      rateLimit: fastify.rateLimits.perIp('login', config.KEYTURN_LOGIN_RATE_LIMIT),
    } satisfies LoginService)
  },
  { name: 'login', dependencies: ['config', 'redis', 'rate-limit', 'db', 'passwords', 'tokens', 'sessions', 'revocations', 'audit', 'events'] },
)
