// The per-account backoff (login-throttle.ts), in Redis when Keyturn has one (shared by every
// instance), else in this instance's memory. `namespace` keeps apart what is throttled
// (logins by username, service accounts by client_id).
import type { FastifyInstance } from 'fastify'
import { LoginThrottle, type Throttle } from './login-throttle.js'
import { RedisLoginThrottle } from './login-throttle-redis.js'

export function accountThrottle({ config, redis }: Pick<FastifyInstance, 'config' | 'redis'>, namespace = ''): Throttle {
  return redis.client
    ? new RedisLoginThrottle(redis.client, `${config.KEYTURN_REDIS_PREFIX}${namespace}`, config.KEYTURN_LOGIN_FREE_FAILURES, config.KEYTURN_LOGIN_MAX_BACKOFF, redis.failed)
    : new LoginThrottle(config.KEYTURN_LOGIN_FREE_FAILURES, config.KEYTURN_LOGIN_MAX_BACKOFF)
}
