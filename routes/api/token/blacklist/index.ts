// POST /api/token/blacklist/ and its alias: SimpleJWT's blacklist view; blacklisting a refresh
// token ends its session.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withAliases } from '../../../../plugins/infra/openapi-operations.js'
import { sourceOf } from '../../../../plugins/audit/audit-trail.js'
import { BlacklistBody } from '../../../../schemas/blacklist.js'
import { Detail, Empty, publicSecurity, withAuthErrors } from '../../../../schemas/common.js'

export const prefixOverride = '/api'
export const BLACKLIST_PATHS = ['/token/blacklist/', '/auth/token/blacklist/']

const endpoint = {
  operationId: 'blacklistToken',
  tags: ['token'],
  summary: 'Blacklist a refresh token (ends its session)',
  security: publicSecurity,
  body: BlacklistBody,
  response: withAuthErrors({ 200: Empty, 429: Detail }),
}

const blacklist: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [url, schema] of withAliases('POST', prefixOverride, BLACKLIST_PATHS, endpoint)) {
    fastify.post(url, { schema, onRequest: fastify.blacklist.rateLimit }, async (request) => {
      await fastify.blacklist.add(request.body.refresh, { source: sourceOf(request), reason: 'blacklisted' })
      return {}
    })
  }
}

export default blacklist
