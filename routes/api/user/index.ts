// GET /api/user/ and its aliases: the caller's profile.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withAliases } from '../../../plugins/infra/openapi-operations.js'
import { bearerSecurity, withAuthErrors } from '../../../schemas/common.js'
import { Profile } from '../../../schemas/profile.js'

export const prefixOverride = '/api'
export const PROFILE_PATHS = ['/user/', '/users/auth/me/', '/v1/auth/users/me/']

const endpoint = {
  operationId: 'getCurrentUser',
  tags: ['profile'],
  summary: "The caller's profile",
  security: bearerSecurity,
  response: withAuthErrors({ 200: Profile }),
}

const profile: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [url, schema] of withAliases('GET', prefixOverride, PROFILE_PATHS, endpoint)) {
    fastify.get(url, { schema, onRequest: fastify.authenticate }, async (request) => fastify.profile.of(request.user.id))
  }
}

export default profile
