// The `blacklist` concern: blacklisting a refresh token (and every logout that does) ends its
// session, on every instance.
import fp from 'fastify-plugin'
import type { RateLimitHook } from '../infra/rate-limit.js'
import type { AuditSource } from '../audit/audit-trail.js'
import type { AuthenticatedUser } from '../authentication/index.js'
import { blacklistToken, logoutEverywhere, type BlacklistOptions } from './token-blacklist.js'

export interface BlacklistService {
  add(raw: string, options: BlacklistOptions): Promise<{ sessionId: number }>
  // Ends every session of the caller; returns how many.
  logoutEverywhere(user: AuthenticatedUser, source: AuditSource): Promise<number>
  // Shared by the blacklist routes and every logout.
  readonly rateLimit: RateLimitHook[]
}

declare module 'fastify' {
  interface FastifyInstance {
    blacklist: BlacklistService
  }
}

export default fp(
  async (fastify) => {
    fastify.decorate('blacklist', {
      add: (raw, options) => blacklistToken(fastify, raw, options),
      logoutEverywhere: (user, source) => logoutEverywhere(fastify, user, source),
      rateLimit: fastify.rateLimits.perIp('blacklist', fastify.config.KEYTURN_BLACKLIST_RATE_LIMIT),
    } satisfies BlacklistService)
  },
  { name: 'blacklist', dependencies: ['config', 'rate-limit', 'db', 'tokens', 'revocations', 'audit', 'events', 'webhooks', 'sessions'] },
)
