// GET /admin/: the dashboard, counted within the staff user's client (every client for a
// superuser): sessions active now, users, and the last 24 hours' logins, failures and reuses
// (plugins/console/dashboard.ts).
import type { FastifyPluginAsync } from 'fastify'
import { pageData, signedIn } from '../../plugins/console/console-context.js'
import { tenantScope } from '../../plugins/users/tenancy.js'

const dashboard: FastifyPluginAsync = async (fastify) => {
  fastify.get('/', { schema: { hide: true } }, async (request, reply) => {
    const counts = await fastify.adminConsole.counts(tenantScope(signedIn(request)))
    return reply.view('dashboard.eta', pageData(request, reply, { title: 'Dashboard', section: 'dashboard', ...counts }))
  })
}

export default dashboard
