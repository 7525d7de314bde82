// POST /api/token/ (login): a username (or email) and password for a token pair and a new
// session. The services Keyturn replaces each used one of these URLs; all are one handler.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { withAliases } from '../../../plugins/infra/openapi-operations.js'
import { Detail, publicSecurity, TokenErrorBody, withErrors } from '../../../schemas/common.js'
import { LoginBody, LoginResponse } from '../../../schemas/login.js'

// The URLs are listed whole, under /api.
export const prefixOverride = '/api'
export const LOGIN_PATHS = ['/token/', '/auth/token/', '/login/', '/users/auth/login/', '/v1/auth/token/']

const endpoint = {
  operationId: 'obtainTokenPair',
  tags: ['token'],
  summary: 'Obtain a token pair (login)',
  description: 'Opens a session (device) and returns an access and a refresh token.',
  security: publicSecurity,
  body: LoginBody,
  response: withErrors({ 200: LoginResponse, 401: TokenErrorBody, 429: Detail }),
}

const login: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [url, schema] of withAliases('POST', prefixOverride, LOGIN_PATHS, endpoint)) {
    fastify.post(
      url,
      {
        schema,
        onRequest: fastify.login.rateLimit,
        // `login` is accepted in place of `username` (clients differ).
        preValidation: async (request) => {
          const body = request.body as Record<string, unknown> | undefined
          if (body && typeof body === 'object' && body.username === undefined && body.login !== undefined) {
            body.username = body.login
          }
        },
      },
      async (request) =>
        fastify.login.attempt({
          login: request.body.username,
          password: request.body.password,
          device: request.body,
          source: sourceOf(request),
        }),
    )
  }
}

export default login
