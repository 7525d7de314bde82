// /admin/clients: the clients (tenants), for superusers: listed and created.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AccountError } from '../../../plugins/accounts/accounts.js'
import { afterAction, pageData, signedIn } from '../../../plugins/console/console-context.js'
import { errors } from '../../../plugins/infra/api-error.js'
import { refused } from '../../../plugins/console/page-input.js'
import { NewClientForm, UsersQuery } from '../../../schemas/console.js'

function superuser(request: FastifyRequest) {
  const me = signedIn(request)
  if (!me.isSuperuser) throw errors.permissionDenied()
  return me
}

const clientsPage: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { schema: { hide: true, querystring: UsersQuery } }, async (request, reply) => {
    superuser(request)
    const clients = await fastify.db.selectFrom('clients').selectAll().orderBy('name').limit(1000).execute()
    const notice = request.query.done === 'created' ? 'Client created.' : undefined
    return reply.view('clients.eta', pageData(request, reply, { title: 'Clients', section: 'clients', clients, notice }))
  })

  fastify.post('/', { preHandler: fastify.csrfProtection, schema: { hide: true, body: NewClientForm } }, async (request, reply) => {
    superuser(request)
    try {
      await fastify.accounts.addClient(request.body.name)
    } catch (err) {
      if (err instanceof AccountError) throw refused(err.message)
      throw err
    }
    return reply.redirect(afterAction('/admin/clients', 'created'), 303)
  })
}

export default clientsPage
