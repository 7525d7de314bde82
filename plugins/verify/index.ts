// The `verify` concern: SimpleJWT's verify, with sessions (a revoked session's tokens fail).
import fp from 'fastify-plugin'
import type { RateLimitHook } from '../infra/rate-limit.js'
import { verifyToken } from './token-verification.js'

export interface VerifyService {
  // Throws (or rejects with) the contract's 401 for a bad token. A good access token returns
  // undefined; a refresh token, which the store must confirm, a promise.
  check(raw: string): Promise<void> | undefined
  readonly rateLimit: RateLimitHook[]
}

declare module 'fastify' {
  interface FastifyInstance {
    verify: VerifyService
  }
}

export default fp(
  async (fastify) => {
    fastify.decorate('verify', {
      check: (raw) => verifyToken(fastify, raw),
      rateLimit: fastify.rateLimits.perIp('verify', fastify.config.KEYTURN_VERIFY_RATE_LIMIT),
    } satisfies VerifyService)
  },
  { name: 'verify', dependencies: ['config', 'rate-limit', 'db', 'tokens', 'revocations'] },
)
