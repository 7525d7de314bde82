// POST /api/token/refresh/ and its aliases: a new access token (and, with rotation, a new
// refresh token).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withAliases } from '../../../../plugins/infra/openapi-operations.js'
import { sourceOf } from '../../../../plugins/audit/audit-trail.js'
import { Detail, publicSecurity, withAuthErrors } from '../../../../schemas/common.js'
import { RefreshBody, RefreshResponse } from '../../../../schemas/refresh.js'

export const prefixOverride = '/api'
export const REFRESH_PATHS = ['/token/refresh/', '/auth/token/refresh/', '/users/auth/refresh/', '/v1/auth/token/refresh/']

const endpoint = {
  operationId: 'refreshToken',
  tags: ['token'],
  summary: 'Refresh: a new access token (and, with rotation, a new refresh token)',
  security: publicSecurity,
  body: RefreshBody,
  response: withAuthErrors({ 200: RefreshResponse, 429: Detail }),
}

const refresh: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [url, schema] of withAliases('POST', prefixOverride, REFRESH_PATHS, endpoint)) {
    fastify.post(url, { schema, onRequest: fastify.refresh.rateLimit }, async (request) =>
      fastify.refresh.rotate(request.body.refresh, sourceOf(request)),
    )
  }
}

export default refresh
