// /admin/users: the users the staff user may see, searched by username or email, by keyset
// pages; creating one; one user's page with its sessions; and what staff change on it:
// active or not, when the account expires, and logging it out everywhere (after a
// confirmation). Superusers' accounts are theirs to change, not staff's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AccountError } from '../../../plugins/accounts/accounts.js'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { afterAction, pageData, signedIn } from '../../../plugins/console/console-context.js'
import { invalidPageLink, PAGE_SIZE, refused, utcTime } from '../../../plugins/console/page-input.js'
import { errors } from '../../../plugins/infra/api-error.js'
import { decodeCursor, FIRST_PAGE } from '../../../plugins/infra/keyset.js'
import { isSessionActive } from '../../../plugins/sessions/session-policy.js'
import { tenantScope } from '../../../plugins/users/tenancy.js'
import { parseId } from '../../../schemas/common.js'
import { ActiveForm, ConsoleForm, ExpiryForm, NewUserForm, PageIdParams, UsersQuery } from '../../../schemas/console.js'

const NOTICES: Record<string, string> = {
  created: 'User created.',
  activated: 'User activated.',
  deactivated: 'User deactivated: every session of theirs has ended.',
  expiry: 'Expiry saved.',
  logged_out: 'Every session of the user has ended.',
}

const usersPages: FastifyPluginAsyncTypebox = async (fastify) => {
  const { accounts, sessions, users } = fastify

  // The user of the URL, if the staff user may see it (and, to change it, may change it).
  async function target(request: FastifyRequest, rawId: string, forChange: boolean) {
    const me = signedIn(request)
    const id = parseId(rawId)
    const user = id === undefined ? undefined : await users.find(tenantScope(me), id)
    if (!user) throw errors.notFound()
    if (forChange && user.is_superuser === 1 && !me.isSuperuser) throw errors.permissionDenied()
    return { me, user }
  }

  fastify.get('/', { schema: { hide: true, querystring: UsersQuery } }, async (request, reply) => {
    const me = signedIn(request)
    const cursor = request.query.cursor ? decodeCursor(request.query.cursor, 1) : FIRST_PAGE
    if (!cursor) throw invalidPageLink()
    const q = request.query.q?.trim() || undefined
    const page = await users.after({ scope: tenantScope(me), q }, cursor, PAGE_SIZE)
    const clients = me.isSuperuser ? await fastify.db.selectFrom('clients').select(['id', 'name']).orderBy('name').limit(500).execute() : []
    return reply.view(
      'users.eta',
      pageData(request, reply, { title: 'Users', section: 'users', q: request.query.q ?? '', page, clients, notice: NOTICES[request.query.done ?? ''] }),
    )
  })

  fastify.post('/', { preHandler: fastify.csrfProtection, schema: { hide: true, body: NewUserForm } }, async (request, reply) => {
    const me = signedIn(request)
    const form = request.body
    // Staff create users of their own client; superusers choose one (or none), and staff.
    let clientName: string | undefined
    if (me.isSuperuser) {
      const clientId = form.client_id ? parseId(form.client_id) : undefined
      if (form.client_id && clientId === undefined) throw refused('Unknown client.')
      const client = clientId === undefined ? undefined : await fastify.db.selectFrom('clients').select('name').where('id', '=', clientId).executeTakeFirst()
      if (clientId !== undefined && !client) throw refused('Unknown client.')
      clientName = client?.name
    } else clientName = me.clientName ?? undefined
    try {
      const user = await accounts.create({
        username: form.username,
        email: form.email || undefined,
        password: form.password,
        clientName,
        isStaff: me.isSuperuser && form.is_staff === 'on',
      })
      return reply.redirect(afterAction(`/admin/users/${user.id}`, 'created'), 303)
    } catch (err) {
      if (err instanceof AccountError) throw refused(err.message)
      throw err
    }
  })

  fastify.get('/:id', { schema: { hide: true, params: PageIdParams, querystring: UsersQuery } }, async (request, reply) => {
    const { user } = await target(request, request.params.id, false)
    const now = Date.now()
    const own = (await sessions.listOwn(user.id)).map((s) => ({ ...s, active: isSessionActive(s, sessions.policy, now) }))
    own.sort((a, b) => b.last_activity - a.last_activity)
    return reply.view(
      'user.eta',
      pageData(request, reply, { title: user.username, section: 'users', user, sessions: own, here: request.url.split('?')[0], notice: NOTICES[request.query.done ?? ''] }),
    )
  })

  fastify.post('/:id/active', { preHandler: fastify.csrfProtection, schema: { hide: true, params: PageIdParams, body: ActiveForm } }, async (request, reply) => {
    const { user } = await target(request, request.params.id, true)
    const isActive = request.body.active === 'true'
    await accounts.update(user.username, { isActive })
    return reply.redirect(afterAction(`/admin/users/${user.id}`, isActive ? 'activated' : 'deactivated'), 303)
  })

  fastify.post('/:id/expiry', { preHandler: fastify.csrfProtection, schema: { hide: true, params: PageIdParams, body: ExpiryForm } }, async (request, reply) => {
    const { user } = await target(request, request.params.id, true)
    await accounts.update(user.username, { expiresAt: utcTime(request.body.expires) ?? null })
    return reply.redirect(afterAction(`/admin/users/${user.id}`, 'expiry'), 303)
  })

  // Logging a user out everywhere asks first: how many sessions will end, and whose.
  fastify.get('/:id/logout-all', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const { user } = await target(request, request.params.id, true)
    const now = Date.now()
    const live = (await sessions.listOwn(user.id)).filter((s) => isSessionActive(s, sessions.policy, now)).length
    return reply.view('confirm-logout.eta', pageData(request, reply, { title: `Log ${user.username} out everywhere`, section: 'users', user, live }))
  })

  fastify.post('/:id/logout-all', { preHandler: fastify.csrfProtection, schema: { hide: true, params: PageIdParams, body: ConsoleForm } }, async (request, reply) => {
    const { me, user } = await target(request, request.params.id, true)
    await sessions.endAll({ userId: user.id, clientId: user.client_id }, { reason: 'revoked_by_admin', event: 'session_revoked', source: sourceOf(request), actorId: me.id })
    return reply.redirect(afterAction(`/admin/users/${user.id}`, 'logged_out'), 303)
  })
}

export default usersPages
