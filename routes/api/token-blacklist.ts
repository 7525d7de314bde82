// SimpleJWT's blacklist view; blacklisting a refresh token ends its session.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../auth/audit.js'
import { blacklistToken } from '../../auth/blacklist.js'
import { Detail, Empty, withAuthErrors } from '../../schemas/common.js'
import { RefreshBody } from '../../schemas/token.js'

export const BLACKLIST_PATHS = ['/token/blacklist/', '/auth/token/blacklist/']

const tokenBlacklist: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of BLACKLIST_PATHS) {
    fastify.post(
      url,
      {
        onRequest: fastify.rateLimits.blacklist,
        schema: {
          tags: ['token'],
          summary: 'Blacklist a refresh token (ends its session)',
          body: RefreshBody,
          response: withAuthErrors({ 200: Empty, 429: Detail }),
        },
      },
      async (request) => {
        await blacklistToken(fastify, request.body.refresh, { source: sourceOf(request), reason: 'blacklisted' })
        return {}
      },
    )
  }
}

export default tokenBlacklist
