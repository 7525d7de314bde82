// Two routes clients use to check that their Bearer header is right.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { bearerSecurity, withAuthErrors } from '../../schemas/common.js'

const diagnostics: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/test-auth/',
    {
      onRequest: fastify.authenticate,
      schema: {
        tags: ['diagnostics'],
        summary: 'Check that JWT authentication works',
        security: bearerSecurity,
        response: withAuthErrors({
          200: Type.Object({ message: Type.String(), authenticated: Type.Boolean(), user: Type.String() }),
        }),
      },
    },
    async (request) => ({ message: 'JWT authentication is working', authenticated: true, user: request.user.username }),
  )

  fastify.get(
    '/protected-endpoint/',
    {
      onRequest: fastify.authenticate,
      schema: {
        tags: ['diagnostics'],
        summary: 'A route that needs a valid access token',
        security: bearerSecurity,
        response: withAuthErrors({ 200: Type.Object({ message: Type.String() }) }),
      },
    },
    async () => ({ message: 'You have accessed a protected route!' }),
  )
}

export default diagnostics
