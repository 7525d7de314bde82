// The `refresh` concern: a refresh token for a new access token and, with rotation, its
// successor; a rotated token presented again is a reuse and ends its session.
import fp from 'fastify-plugin'
import type { AuditSource } from '../audit/audit-trail.js'
import type { RateLimitHook } from '../infra/rate-limit.js'
import type { RefreshResponse } from '../../schemas/refresh.js'
import { refreshTokens } from './refresh-rotation.js'

export interface RefreshService {
  rotate(raw: string, source: AuditSource): Promise<RefreshResponse>
  readonly rateLimit: RateLimitHook[]
}

declare module 'fastify' {
  interface FastifyInstance {
    refresh: RefreshService
  }
}

export default fp(
  async (fastify) => {
    fastify.decorate('refresh', {
      rotate: (raw, source) => refreshTokens(fastify, raw, source),
      rateLimit: fastify.rateLimits.perIp('refresh', fastify.config.KEYTURN_REFRESH_RATE_LIMIT),
    } satisfies RefreshService)
  },
  { name: 'refresh', dependencies: ['config', 'rate-limit', 'db', 'tokens', 'sessions', 'revocations', 'audit', 'events', 'webhooks'] },
)
