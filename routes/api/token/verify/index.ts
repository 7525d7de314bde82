// POST /api/token/verify/ and its aliases: is this access or refresh token good?
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Detail, Empty, withAuthErrors } from '../../../../schemas/common.js'
import { VerifyBody } from '../../../../schemas/verify.js'

export const prefixOverride = '/api'
export const VERIFY_PATHS = ['/token/verify/', '/auth/token/verify/', '/v1/auth/token/verify/']

const schema = {
  tags: ['token'],
  summary: 'Verify an access or refresh token',
  body: VerifyBody,
  response: withAuthErrors({ 200: Empty, 429: Detail }),
}

const verify: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of VERIFY_PATHS) {
    fastify.post(url, { schema, onRequest: fastify.verify.rateLimit }, async (request) => {
      await fastify.verify.check(request.body.token)
      return {}
    })
  }
}

export default verify
