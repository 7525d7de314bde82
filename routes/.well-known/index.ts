// GET /.well-known/jwks.json: the keys services verify Keyturn's tokens with, offline (an
// HMAC key is never published: with HS*, no keys). Cached by verifiers for
// KEYTURN_JWKS_MAX_AGE, so it says `public`.
// GET /.well-known/oauth-authorization-server (RFC 8414), and the same document at
// /.well-known/openid-configuration, which many libraries read: where the JWKS and the
// OAuth endpoints are. Only with KEYTURN_ISSUER (the issuer is the document's identity).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../plugins/infra/api-error.js'
import { withAliases } from '../../plugins/infra/openapi-operations.js'
import { Detail, publicSecurity } from '../../schemas/common.js'
import { Jwks, ServerMetadata } from '../../schemas/keys.js'

const wellKnown: FastifyPluginAsyncTypebox = async (fastify) => {
  const cacheControl = `public, max-age=${Math.floor(fastify.config.KEYTURN_JWKS_MAX_AGE / 1000)}`
  fastify.get(
    '/jwks.json',
    {
      schema: {
        operationId: 'getJwks',
        tags: ['keys'],
        summary: 'The public keys that verify access and refresh tokens (JWKS)',
        security: publicSecurity,
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', cacheControl)
      return fastify.keys.jwks()
    },
  )

  // Endpoints are absolute URLs under the issuer when it is one, else under this request's
  // own origin (as the proxy in front says it, when KEYTURN_TRUST_PROXY trusts it).
  const issuer = fastify.config.KEYTURN_ISSUER
  const issuerBase = issuer !== undefined && /^https?:\/\//.test(issuer) ? issuer.replace(/\/+$/, '') : undefined
  const scopes = fastify.config.KEYTURN_SCOPES
  const metadata = {
    operationId: 'getAuthorizationServerMetadata',
    tags: ['keys'],
    summary: 'Authorization server metadata (RFC 8414); 404 without KEYTURN_ISSUER',
    security: publicSecurity,
    response: { 200: ServerMetadata, 404: Detail },
  }
  for (const [path, schema] of withAliases('GET', '/.well-known', ['/oauth-authorization-server', '/openid-configuration'], metadata)) {
    fastify.get(
      path,
      { schema },
      async (request, reply) => {
        if (issuer === undefined) throw errors.notFound()
        const base = issuerBase ?? `${request.protocol}://${request.host}`
        const clientAuth = ['client_secret_basic', 'client_secret_post']
        reply.header('cache-control', cacheControl)
        return {
          issuer,
          jwks_uri: `${base}/.well-known/jwks.json`,
          token_endpoint: `${base}/api/v1/oauth/token/`,
          introspection_endpoint: `${base}/api/v1/oauth/introspect/`,
          revocation_endpoint: `${base}/api/v1/oauth/revoke/`,
          grant_types_supported: ['client_credentials'],
          // No authorization endpoint, so no response types: Keyturn is not an OpenID provider.
          response_types_supported: [],
          token_endpoint_auth_methods_supported: clientAuth,
          introspection_endpoint_auth_methods_supported: clientAuth,
          revocation_endpoint_auth_methods_supported: clientAuth,
          ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
        }
      },
    )
  }
}

export default wellKnown
