// POST /api/token/verify/ and its aliases: is this access or refresh token good?
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withAliases } from '../../../../plugins/infra/openapi-operations.js'
import { Detail, Empty, publicSecurity, withAuthErrors } from '../../../../schemas/common.js'
import { VerifyBody } from '../../../../schemas/verify.js'

export const prefixOverride = '/api'
export const VERIFY_PATHS = ['/token/verify/', '/auth/token/verify/', '/v1/auth/token/verify/']

const endpoint = {
  operationId: 'verifyToken',
  tags: ['token'],
  summary: 'Verify an access or refresh token',
  security: publicSecurity,
  body: VerifyBody,
  response: withAuthErrors({ 200: Empty, 429: Detail }),
}

const verify: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [url, schema] of withAliases('POST', prefixOverride, VERIFY_PATHS, endpoint)) {
    // Not async: an access token's answer is sent without a promise (plugins/verify/).
    fastify.post(url, { schema, onRequest: fastify.verify.rateLimit }, (request) => {
      const pending = fastify.verify.check(request.body.token)
      return pending === undefined ? {} : pending.then(() => ({}))
    })
  }
}

export default verify
