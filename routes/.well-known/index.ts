// GET /.well-known/jwks.json: the keys services verify Keyturn's tokens with, offline (an
// HMAC key is never published: with HS*, no keys). Cached by verifiers for
// KEYTURN_JWKS_MAX_AGE, so it is the one answer here that says `public`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Jwks } from '../../schemas/keys.js'

const wellKnown: FastifyPluginAsyncTypebox = async (fastify) => {
  const cacheControl = `public, max-age=${Math.floor(fastify.config.KEYTURN_JWKS_MAX_AGE / 1000)}`
  fastify.get(
    '/jwks.json',
    { schema: { tags: ['keys'], summary: 'The public keys that verify access and refresh tokens (JWKS)', response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', cacheControl)
      return fastify.keys.jwks()
    },
  )
}

export default wellKnown
