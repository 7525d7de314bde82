import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../auth/audit.js'
import { refreshTokens } from '../../auth/refresh-rotation.js'
import { Detail, withAuthErrors } from '../../schemas/common.js'
import { RefreshBody, RefreshResponse } from '../../schemas/token.js'

export const REFRESH_PATHS = ['/token/refresh/', '/auth/token/refresh/', '/users/auth/refresh/', '/v1/auth/token/refresh/']

const tokenRefresh: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of REFRESH_PATHS) {
    fastify.post(
      url,
      {
        onRequest: fastify.rateLimits.refresh,
        schema: {
          tags: ['token'],
          summary: 'Refresh: a new access token (and, with rotation, a new refresh token)',
          body: RefreshBody,
          response: withAuthErrors({ 200: RefreshResponse, 429: Detail }),
        },
      },
      async (request) => refreshTokens(fastify, request.body.refresh, sourceOf(request)),
    )
  }
}

export default tokenRefresh
