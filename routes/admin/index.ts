// GET /admin/: the dashboard, counted within the staff user's client (every client for a
// superuser): sessions active now, users, and the last 24 hours' logins, failures and reuses.
import type { FastifyPluginAsync } from 'fastify'
import { pageData, signedIn } from '../../plugins/console/console-context.js'
import { tenantScope } from '../../plugins/users/tenancy.js'

const DAY = 86_400_000

const dashboard: FastifyPluginAsync = async (fastify) => {
  const { admin, audit, users } = fastify
  fastify.get('/', { schema: { hide: true } }, async (request, reply) => {
    const scope = tenantScope(signedIn(request))
    const now = Date.now()
    const since = now - DAY
    const [activeSessions, userCount, logins, failedLogins, reuses] = await Promise.all([
      admin.count({ scope, isActive: true, now }),
      users.count({ scope }),
      audit.count({ scope, event: 'login', since }),
      audit.count({ scope, event: 'login_failed', since }),
      audit.count({ scope, event: 'refresh_reuse', since }),
    ])
    return reply.view('dashboard.eta', pageData(request, reply, { title: 'Dashboard', section: 'dashboard', activeSessions, userCount, logins, failedLogins, reuses }))
  })
}

export default dashboard
