// POST /admin/logout: ends the console's session (a logout, in the audit trail) and its cookie.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { CONSOLE_PREFIX, signedIn } from '../../../plugins/console/console-context.js'
import { ConsoleForm } from '../../../schemas/console.js'

const logout: FastifyPluginAsyncTypebox = async (fastify) => {
  const { adminConsole } = fastify
  fastify.post('/', { preHandler: fastify.csrfProtection, schema: { hide: true, body: ConsoleForm } }, async (request, reply) => {
    await adminConsole.signOut(signedIn(request), sourceOf(request))
    reply.clearCookie(adminConsole.cookie.name, { path: CONSOLE_PREFIX })
    return reply.redirect(`${CONSOLE_PREFIX}/login`, 303)
  })
}

export default logout
