// POST /api/test-auth/: clients check that their Bearer header is right.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { diagnosticSchema, TestAuthResponse } from '../../../schemas/diagnostics.js'

const schema = diagnosticSchema('testAuth', 'Check that JWT authentication works', TestAuthResponse)

const testAuth: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/', { prefixTrailingSlash: 'slash', schema, onRequest: fastify.authenticate }, async (request) => ({
    message: 'JWT authentication is working',
    authenticated: true,
    user: request.user.username,
  }))
}

export default testAuth
