// Login: POST a username (or email) and password, get a token pair and a new session.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../auth/audit.js'
import { login } from '../../auth/login.js'
import { Detail, TokenErrorBody, withErrors } from '../../schemas/common.js'
import { LoginBody, LoginResponse } from '../../schemas/token.js'

// Every SimpleJWT-based service this replaces used one of these; all are one handler.
export const LOGIN_PATHS = ['/token/', '/auth/token/', '/login/', '/users/auth/login/', '/v1/auth/token/']

const tokenObtain: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of LOGIN_PATHS) {
    fastify.post(
      url,
      {
        schema: {
          tags: ['token'],
          summary: 'Obtain a token pair (login)',
          description: 'Opens a session (device) and returns an access and a refresh token.',
          body: LoginBody,
          response: withErrors({ 200: LoginResponse, 401: TokenErrorBody, 429: Detail }),
        },
        onRequest: fastify.rateLimits.login,
        // `login` is accepted in place of `username` (clients differ).
        preValidation: async (request) => {
          const body = request.body as Record<string, unknown> | undefined
          if (body && typeof body === 'object' && body.username === undefined && body.login !== undefined) {
            body.username = body.login
          }
        },
      },
      async (request) =>
        login(fastify, {
          login: request.body.username,
          password: request.body.password,
          device: request.body,
          source: sourceOf(request),
        }),
    )
  }
}

export default tokenObtain
