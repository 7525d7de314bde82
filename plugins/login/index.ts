// The `login` concern: a username (or email) and password for a token pair and a new session,
// behind a per-IP limit and a per-account backoff.
import fp from 'fastify-plugin'
import type { LoginResponse } from '../../schemas/login.js'
import type { RateLimitHook } from '../infra/rate-limit.js'
import { login, type LoginInput } from './login-flow.js'
import { accountThrottle } from './account-throttle.js'
import { staffSignIn, type RecordSignIn, type StaffSignInInput } from './staff-sign-in.js'

export interface LoginService {
  attempt(input: LoginInput): Promise<LoginResponse>
  // The admin console's sign-in: staff only, a session without tokens (staff-sign-in.ts).
  staffSignIn(input: StaffSignInInput, record: RecordSignIn): ReturnType<typeof staffSignIn>
  readonly rateLimit: RateLimitHook[]
}

declare module 'fastify' {
  interface FastifyInstance {
    login: LoginService
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    // With Redis the backoff holds across instances; while Redis is down, per instance.
    const throttle = accountThrottle(fastify)
    fastify.decorate('login', {
      attempt: (input) => login(fastify, throttle, input),
      staffSignIn: (input, record) => staffSignIn(fastify, throttle, input, record),
      rateLimit: fastify.rateLimits.perIp('login', config.KEYTURN_LOGIN_RATE_LIMIT),
    } satisfies LoginService)
  },
  { name: 'login', dependencies: ['config', 'redis', 'rate-limit', 'db', 'passwords', 'tokens', 'sessions', 'revocations', 'audit', 'events', 'webhooks'] },
)
