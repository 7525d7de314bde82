// GET /api/protected-endpoint/: a route that needs a valid access token, for clients to try.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { diagnosticSchema, ProtectedResponse } from '../../../schemas/diagnostics.js'

const schema = diagnosticSchema('getProtectedEndpoint', 'A route that needs a valid access token', ProtectedResponse)

const protectedEndpoint: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { prefixTrailingSlash: 'slash', schema, onRequest: fastify.authenticate }, async () => ({ message: 'You have accessed a protected route!' }))
}

export default protectedEndpoint
