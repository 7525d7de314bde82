// /api/v1/admin/webhooks/: endpoints that receive session events, for staff (their client's
// events) and superusers (every client's, or one's). The secret is shown once, on creation
// and on rotation; the delivery log shows every attempt.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ApiError, errors, idOrNotFound } from '../../../../../plugins/infra/api-error.js'
import { isoOrNull, isoUtc } from '../../../../../plugins/infra/iso-time.js'
import { page, pageParams } from '../../../../../plugins/infra/pagination.js'
import { WebhookUrlError, type AttemptRow, type WebhookEndpoint } from '../../../../../plugins/webhooks/index.js'
import { tenantScope } from '../../../../../plugins/users/tenancy.js'
import { bearerSecurity, Detail, IdParams, Page, Pagination, withAuthErrors } from '../../../../../schemas/common.js'
import { RotateSecret } from '../../../../../schemas/services.js'
import { NewWebhook, WebhookAttempt, WebhookChanges, WebhookCreated, WebhookTestSent, WebhookView } from '../../../../../schemas/webhooks.js'

function view(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events.split(' '),
    description: endpoint.description,
    is_active: endpoint.is_active === 1,
    disabled_reason: endpoint.disabled_reason,
    client_id: endpoint.client_id,
    failing_since: isoOrNull(endpoint.failing_since),
    previous_secret_expires_at: isoOrNull(endpoint.previous_secret_expires_at),
    created_at: isoUtc(endpoint.created_at),
    updated_at: isoUtc(endpoint.updated_at),
  }
}

function attemptView(row: AttemptRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    attempted_at: isoUtc(row.attempted_at),
    status_code: row.status_code,
    error: row.error,
    duration_ms: row.duration_ms,
    next_retry_at: isoOrNull(row.next_retry_at),
    delivery_state: row.state,
  }
}

// A URL or event list the service refuses is the client's bad input, on the field it names.
async function asBadRequest<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new ApiError(400, { [err.field]: [err.message] })
    throw err
  }
}

const adminWebhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  const { webhooks } = fastify
  const common = { tags: ['admin'], security: bearerSecurity }
  // An endpoint of no client receives every client's events: superusers' alone. Staff who
  // belong to no client would otherwise see and steer those.
  fastify.addHook('preHandler', async (request) => {
    if (!request.user.isSuperuser && request.user.clientId === null) throw errors.permissionDenied()
  })
  const found = <T>(value: T | undefined): T => {
    if (value === undefined) throw errors.notFound()
    return value
  }

  fastify.get(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: { ...common, operationId: 'listWebhooks', summary: "Webhook endpoints of the caller's client", querystring: Pagination, response: withAuthErrors({ 200: Page(WebhookView), 403: Detail }) },
    },
    async (request) => {
      const params = pageParams(request.query)
      const { count, rows } = await webhooks.list(tenantScope(request.user), params)
      return page(request, params, count, rows.map(view))
    },
  )

  fastify.post(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: { ...common, operationId: 'createWebhook', summary: 'Add a webhook endpoint; its signing secret is in this answer only', body: NewWebhook, response: withAuthErrors({ 201: WebhookCreated, 403: Detail }) },
    },
    async (request, reply) => {
      const { user } = request
      const asked = request.body.client_id
      // Staff receive their own client's events; only a superuser names another (or all).
      if (!user.isSuperuser && asked !== undefined && asked !== user.clientId) throw errors.permissionDenied()
      const clientId = user.isSuperuser ? (asked ?? null) : user.clientId
      const input = { url: request.body.url, events: request.body.events, description: request.body.description }
      const { endpoint, secret } = await asBadRequest(webhooks.create(clientId, input))
      reply.code(201).header('cache-control', 'no-store')
      return { ...view(endpoint), secret }
    },
  )

  fastify.get(
    '/:id/',
    { schema: { ...common, operationId: 'getWebhook', summary: 'A webhook endpoint', params: IdParams, response: withAuthErrors({ 200: WebhookView, 403: Detail, 404: Detail }) } },
    async (request) => view(found(await webhooks.get(tenantScope(request.user), idOrNotFound(request.params.id)))),
  )

  fastify.patch(
    '/:id/',
    {
      schema: { ...common, operationId: 'updateWebhook', summary: 'Change, disable or enable a webhook endpoint', params: IdParams, body: WebhookChanges, response: withAuthErrors({ 200: WebhookView, 403: Detail, 404: Detail }) },
    },
    async (request) => {
      const { url, events, description, is_active: isActive } = request.body
      const changes = { url, events, description, isActive }
      return view(found(await asBadRequest(webhooks.update(tenantScope(request.user), idOrNotFound(request.params.id), changes))))
    },
  )

  fastify.delete(
    '/:id/',
    { schema: { ...common, operationId: 'deleteWebhook', summary: 'Delete a webhook endpoint and its delivery log', params: IdParams, response: withAuthErrors({ 204: Type.Null({ description: 'Deleted' }), 403: Detail, 404: Detail }) } },
    async (request, reply) => {
      if (!(await webhooks.remove(tenantScope(request.user), idOrNotFound(request.params.id)))) throw errors.notFound()
      return reply.code(204).send(null)
    },
  )

  fastify.post(
    '/:id/rotate_secret/',
    {
      schema: {
        ...common,
        operationId: 'rotateWebhookSecret',
        summary: 'A new signing secret; deliveries carry a signature with the old one too for overlap_seconds (default a day)',
        params: IdParams,
        body: RotateSecret,
        response: withAuthErrors({ 200: WebhookCreated, 403: Detail, 404: Detail }),
      },
    },
    async (request, reply) => {
      const overlapMs = (request.body?.overlap_seconds ?? 86400) * 1000
      const rotated = found(await webhooks.rotateSecret(tenantScope(request.user), idOrNotFound(request.params.id), overlapMs))
      reply.header('cache-control', 'no-store')
      return { ...view(rotated.endpoint), secret: rotated.secret }
    },
  )

  fastify.post(
    '/:id/test/',
    {
      schema: { ...common, operationId: 'testWebhook', summary: 'Send a webhook.test event to this endpoint (see its deliveries for the outcome)', params: IdParams, response: withAuthErrors({ 202: WebhookTestSent, 403: Detail, 404: Detail }) },
    },
    async (request, reply) => {
      const eventId = found(await asBadRequest(webhooks.sendTest(tenantScope(request.user), idOrNotFound(request.params.id))))
      reply.code(202)
      return { event_id: eventId }
    },
  )

  fastify.get(
    '/:id/deliveries/',
    {
      schema: {
        ...common,
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log: every attempt, newest first (time, status code or error, next retry)',
        params: IdParams,
        querystring: Pagination,
        response: withAuthErrors({ 200: Page(WebhookAttempt), 403: Detail, 404: Detail }),
      },
    },
    async (request) => {
      const params = pageParams(request.query)
      const { count, rows } = found(await webhooks.attempts(tenantScope(request.user), idOrNotFound(request.params.id), params))
      return page(request, params, count, rows.map(attemptView))
    },
  )
}

export default adminWebhooks
