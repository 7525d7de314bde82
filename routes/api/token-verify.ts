import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { verifyToken } from '../../auth/verify.js'
import { Detail, Empty, withAuthErrors } from '../../schemas/common.js'
import { VerifyBody } from '../../schemas/token.js'

export const VERIFY_PATHS = ['/token/verify/', '/auth/token/verify/', '/v1/auth/token/verify/']

const tokenVerify: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of VERIFY_PATHS) {
    fastify.post(
      url,
      {
        onRequest: fastify.rateLimits.verify,
        schema: {
          tags: ['token'],
          summary: 'Verify an access or refresh token',
          body: VerifyBody,
          response: withAuthErrors({ 200: Empty, 429: Detail }),
        },
      },
      async (request) => {
        await verifyToken(fastify, request.body.token)
        return {}
      },
    )
  }
}

export default tokenVerify
