// The `console` concern: the admin console's sign-in. A sign-in is a Keyturn session
// (client_type admin_console) opened by the login's own checks and limits, for staff only;
// the browser holds a random token in an httpOnly, SameSite=Strict cookie scoped to /admin,
// the store its hash. Its pages (routes/admin/) reuse the admin, users and audit services.
import fp from 'fastify-plugin'
import type { AuditSource } from '../audit/audit-trail.js'
import type { TenantScope } from '../users/tenancy.js'
import { dashboardCounts, type DashboardCounts } from './dashboard.js'
import { newCookieToken, signedInUser, touchConsoleSession, TOUCH_EVERY_MS, type ConsoleUser } from './console-sessions.js'

export type { ConsoleUser } from './console-sessions.js'

export const CONSOLE_COOKIE = 'keyturn_console'

export interface ConsoleService {
  signIn(input: { login: string; password: string; source: AuditSource }): Promise<{ token: string; sessionId: number }>
  // The signed-in staff user a cookie token names, or undefined (unknown, ended, idle, or no
  // longer staff). Moves the console's idle deadline.
  signedIn(token: string): Promise<ConsoleUser | undefined>
  signOut(user: ConsoleUser, source: AuditSource): Promise<void>
  readonly cookie: { name: string; secure: boolean }
  // The dashboard's counts for a scope, at most COUNTS_KEPT_MS old.
  counts(scope: TenantScope): Promise<DashboardCounts>
}

declare module 'fastify' {
  interface FastifyInstance {
    adminConsole: ConsoleService
  }
}

export default fp(
  async (fastify) => {
    const { db, config, login, sessions } = fastify
    fastify.decorate('adminConsole', {
      async signIn({ login: name, password, source }) {
        const { token, hash } = newCookieToken()
        const { sessionId } = await login.staffSignIn({ login: name, password, source, deviceName: 'Admin console' }, async (trx, id, now) => {
          await trx.insertInto('console_sessions').values({ session_id: id, token_hash: hash, created_at: now }).execute()
        })
        return { token, sessionId }
      },
      async signedIn(token) {
        const now = Date.now()
        const found = await signedInUser(db, token, now, config.KEYTURN_CONSOLE_IDLE_TIMEOUT)
        if (!found) return undefined
        // Most requests come within the minute: no write for them.
        if (now - found.lastActivity >= TOUCH_EVERY_MS) await touchConsoleSession(db, found.user.sessionId, now)
        return found.user
      },
      signOut: (user, source) =>
        sessions.end(user.sessionId, { userId: user.id, clientId: user.clientId }, { reason: 'logout', event: 'logout', source }),
      cookie: { name: CONSOLE_COOKIE, secure: config.NODE_ENV === 'production' },
      counts: dashboardCounts(fastify),
    } satisfies ConsoleService)
  },
  { name: 'console', dependencies: ['config', 'db', 'login', 'sessions', 'admin', 'users', 'audit'] },
)
