// /api/v1/admin/services/: service accounts for staff, scoped to their client (every client
// for superusers). The secret is shown once, on creation and on rotation.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ApiError, errors, idOrNotFound } from '../../../../../plugins/infra/api-error.js'
import { isoOrNull, isoUtc } from '../../../../../plugins/infra/iso-time.js'
import { page, pageParams } from '../../../../../plugins/infra/pagination.js'
import { ServiceAccountError, type ServiceAccount } from '../../../../../plugins/service-accounts/index.js'
import { tenantScope } from '../../../../../plugins/users/tenancy.js'
import { bearerSecurity, Detail, IdParams, Page, Pagination, withAuthErrors } from '../../../../../schemas/common.js'
import { NewService, RotateSecret, ServiceChanges, ServiceCreated, ServiceView } from '../../../../../schemas/services.js'

function view(account: ServiceAccount) {
  return {
    id: account.id,
    client_id: account.oauth_client_id,
    name: account.name,
    tenant_id: account.client_id,
    scopes: account.scopes === '' ? [] : account.scopes.split(' '),
    is_active: account.is_active === 1,
    created_at: isoUtc(account.created_at),
    updated_at: isoUtc(account.updated_at),
    previous_secret_expires_at: isoOrNull(account.previous_secret_expires_at),
  }
}

// The service layer's refusals are the client's bad input.
async function asBadRequest<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (err instanceof ServiceAccountError) throw new ApiError(400, { detail: err.message })
    throw err
  }
}

const adminServices: FastifyPluginAsyncTypebox = async (fastify) => {
  const { serviceAccounts } = fastify
  const common = { tags: ['admin'], security: bearerSecurity }

  fastify.get(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: { ...common, operationId: 'listServiceAccounts', summary: "Service accounts of the caller's client", querystring: Pagination, response: withAuthErrors({ 200: Page(ServiceView), 403: Detail }) },
    },
    async (request) => {
      const params = pageParams(request.query)
      const { count, rows } = await serviceAccounts.list(tenantScope(request.user), params)
      return page(request, params, count, rows.map(view))
    },
  )

  fastify.post(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: { ...common, operationId: 'createServiceAccount', summary: 'Create a service account; its secret is in this answer only', body: NewService, response: withAuthErrors({ 201: ServiceCreated, 403: Detail }) },
    },
    async (request, reply) => {
      const { user } = request
      const asked = request.body.tenant_id
      // Staff create for their own client; only a superuser names another (or none).
      if (!user.isSuperuser && asked !== undefined && asked !== user.clientId) throw errors.permissionDenied()
      const clientId = user.isSuperuser ? (asked ?? null) : user.clientId
      const { account, secret } = await asBadRequest(serviceAccounts.create({ name: request.body.name, clientId, scopes: request.body.scopes ?? [] }))
      reply.code(201).header('cache-control', 'no-store')
      return { ...view(account), client_secret: secret }
    },
  )

  fastify.get(
    '/:id/',
    { schema: { ...common, operationId: 'getServiceAccount', summary: 'A service account', params: IdParams, response: withAuthErrors({ 200: ServiceView, 403: Detail, 404: Detail }) } },
    async (request) => {
      const account = await serviceAccounts.get(tenantScope(request.user), idOrNotFound(request.params.id))
      if (account === undefined) throw errors.notFound()
      return view(account)
    },
  )

  fastify.patch(
    '/:id/',
    {
      schema: { ...common, operationId: 'updateServiceAccount', summary: 'Rename, rescope, disable or enable a service account', params: IdParams, body: ServiceChanges, response: withAuthErrors({ 200: ServiceView, 403: Detail, 404: Detail }) },
    },
    async (request) => {
      const { name, scopes, is_active: isActive } = request.body
      const changes = { ...(name !== undefined ? { name } : {}), ...(scopes !== undefined ? { scopes } : {}), ...(isActive !== undefined ? { isActive } : {}) }
      const account = await asBadRequest(serviceAccounts.update(tenantScope(request.user), idOrNotFound(request.params.id), changes))
      if (account === undefined) throw errors.notFound()
      return view(account)
    },
  )

  fastify.delete(
    '/:id/',
    { schema: { ...common, operationId: 'deleteServiceAccount', summary: 'Delete a service account', params: IdParams, response: withAuthErrors({ 204: Type.Null({ description: 'Deleted' }), 403: Detail, 404: Detail }) } },
    async (request, reply) => {
      if (!(await serviceAccounts.remove(tenantScope(request.user), idOrNotFound(request.params.id)))) throw errors.notFound()
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/:id/rotate_secret/',
    {
      schema: {
        ...common,
        operationId: 'rotateServiceAccountSecret',
        summary: 'A new secret; the old one keeps working for overlap_seconds (default a day)',
        params: IdParams,
        body: RotateSecret,
        response: withAuthErrors({ 200: ServiceCreated, 403: Detail, 404: Detail }),
      },
    },
    async (request, reply) => {
      const overlapMs = (request.body?.overlap_seconds ?? 86400) * 1000
      const rotated = await serviceAccounts.rotateSecret(tenantScope(request.user), idOrNotFound(request.params.id), overlapMs)
      if (rotated === undefined) throw errors.notFound()
      reply.header('cache-control', 'no-store')
      return { ...view(rotated.account), client_secret: rotated.secret }
    },
  )
}

export default adminServices
