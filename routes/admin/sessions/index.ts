// /admin/sessions: every session the staff user's client holds (every client's for a
// superuser), filtered by client type and state, searched by username, device or IP, newest
// activity first, by keyset pages; one session's page; and revoking one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { afterAction, pageData, signedIn } from '../../../plugins/console/console-context.js'
import { invalidPageLink, PAGE_SIZE } from '../../../plugins/console/page-input.js'
import { errors } from '../../../plugins/infra/api-error.js'
import { decodeCursor, FIRST_PAGE } from '../../../plugins/infra/keyset.js'
import { isSessionActive } from '../../../plugins/sessions/session-policy.js'
import { tenantScope } from '../../../plugins/users/tenancy.js'
import { parseId } from '../../../schemas/common.js'
import { ConsoleForm, PageIdParams, SessionsQuery } from '../../../schemas/console.js'

const CLIENT_TYPES = ['web', 'mobile', 'desktop', 'telegram', 'admin_console']
const NOTICES: Record<string, string> = { revoked: 'Session revoked. Its tokens are refused from now on.' }

const sessionsPages: FastifyPluginAsyncTypebox = async (fastify) => {
  const { admin, sessions } = fastify

  fastify.get('/', { schema: { hide: true, querystring: SessionsQuery } }, async (request, reply) => {
    const me = signedIn(request)
    const query = request.query
    const cursor = query.cursor ? decodeCursor(query.cursor, 2) : FIRST_PAGE
    if (!cursor) throw invalidPageLink()
    const now = Date.now()
    const filter = {
      scope: tenantScope(me),
      clientType: query.client_type?.trim() || undefined,
      isActive: query.is_active === 'true' ? true : query.is_active === 'false' ? false : undefined,
      q: query.q?.trim() || undefined,
      now,
    }
    const page = await admin.sessionsAfter(filter, cursor, PAGE_SIZE)
    const rows = page.rows.map((row) => ({ ...row, active: isSessionActive(row, sessions.policy, now) }))
    const filters = { q: query.q ?? '', client_type: query.client_type ?? '', is_active: query.is_active ?? '' }
    return reply.view(
      'sessions.eta',
      pageData(request, reply, {
        title: 'Sessions',
        section: 'sessions',
        filters,
        filtered: Boolean(filter.q || filter.clientType || filter.isActive !== undefined),
        rows,
        page,
        here: request.url,
        clientTypes: CLIENT_TYPES,
        notice: NOTICES[query.done ?? ''],
      }),
    )
  })

  fastify.get('/:id', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const me = signedIn(request)
    const id = parseId(request.params.id)
    const session = id === undefined ? undefined : await admin.findSession(tenantScope(me), id)
    if (!session) throw errors.notFound()
    const now = Date.now()
    const user = await fastify.users.find(tenantScope(me), session.user_id)
    return reply.view(
      'session.eta',
      pageData(request, reply, { title: `Session ${session.id}`, section: 'sessions', session, user, active: isSessionActive(session, sessions.policy, now), here: request.url }),
    )
  })

  fastify.post('/:id/revoke', { preHandler: fastify.csrfProtection, schema: { hide: true, params: PageIdParams, body: ConsoleForm } }, async (request, reply) => {
    const me = signedIn(request)
    const id = parseId(request.params.id)
    const session = id === undefined ? undefined : await admin.findSession(tenantScope(me), id)
    if (!session) throw errors.notFound()
    await sessions.end(session.id, { userId: session.user_id, clientId: session.client_id }, {
      reason: 'revoked_by_admin',
      event: 'session_revoked',
      source: sourceOf(request),
      actorId: me.id,
    })
    return reply.redirect(afterAction(request.body.next, 'revoked', '/admin/sessions'), 303)
  })
}

export default sessionsPages
