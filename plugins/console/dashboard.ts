// The dashboard's counts for a tenant scope: live sessions, users, and the last 24 hours'
// logins, failed logins and refresh token reuses. At millions of sessions an exact count
// reads an index of that size (0.1-0.25 s on Postgres), so the counts of a scope are kept
// for a few seconds: staff reloading the dashboard, or several staff of one client, share
// one counting (in flight, too).
import { LruObject } from 'toad-cache'
import type { FastifyInstance } from 'fastify'
import type { TenantScope } from '../users/tenancy.js'

export interface DashboardCounts {
  activeSessions: number
  userCount: number
  logins: number
  failedLogins: number
  reuses: number
  countedAt: number
}

const DAY = 86_400_000
export const COUNTS_KEPT_MS = 15_000

export function dashboardCounts(app: FastifyInstance): (scope: TenantScope) => Promise<DashboardCounts> {
  const kept = new LruObject<Promise<DashboardCounts>>(1000, COUNTS_KEPT_MS)
  const count = async (scope: TenantScope): Promise<DashboardCounts> => {
    const now = Date.now()
    const since = now - DAY
    const [activeSessions, userCount, logins, failedLogins, reuses] = await Promise.all([
      app.admin.count({ scope, isActive: true, now }),
      app.users.count({ scope }),
      app.audit.count({ scope, event: 'login', since }),
      app.audit.count({ scope, event: 'login_failed', since }),
      app.audit.count({ scope, event: 'refresh_reuse', since }),
    ])
    return { activeSessions, userCount, logins, failedLogins, reuses, countedAt: now }
  }
  return (scope) => {
    const key = scope.all ? 'all' : `client:${scope.clientId ?? 'none'}`
    const known = kept.get(key)
    if (known) return known
    const counting = count(scope)
    kept.set(key, counting)
    // A failed counting (the store down) is not kept.
    counting.catch(() => kept.delete(key))
    return counting
  }
}
