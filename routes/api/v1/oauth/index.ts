// /api/v1/oauth/: the service accounts' OAuth 2.0 endpoints. Every answer is OAuth's shape
// (RFC 6749 §5.2 errors, never cached), form-encoded or JSON requests alike.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { NO_STORE, oauthError } from '../../../../plugins/oauth/oauth-errors.js'
import { clientSecurity, Introspection, OAuthError, TokenGrant, TokenInRequest, TokenRequest } from '../../../../schemas/oauth.js'

const errors = { 400: OAuthError, 401: OAuthError, 429: OAuthError }

// A body that fails its schema is OAuth's invalid_request, not DRF's field errors.
function checked(request: FastifyRequest): void {
  if (request.validationError) throw oauthError('invalid_request', request.validationError.message)
}

function tokenOf(body: { token?: string } | undefined): string {
  if (typeof body?.token !== 'string' || body.token === '') throw oauthError('invalid_request', 'The token parameter is required.')
  return body.token
}

const oauthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { oauth } = fastify
  const common = { tags: ['oauth'], security: clientSecurity }

  fastify.post(
    '/token/',
    {
      attachValidation: true,
      schema: { ...common, operationId: 'issueClientCredentialsToken', summary: 'A token for a service account (client credentials)', body: TokenRequest, response: { 200: TokenGrant, ...errors } },
    },
    async (request, reply) => {
      checked(request)
      const grant = request.body?.grant_type
      if (grant === undefined || grant === '') throw oauthError('invalid_request', 'The grant_type parameter is required.')
      const account = await oauth.authenticateClient(request)
      if (grant !== 'client_credentials') throw oauthError('unsupported_grant_type')
      reply.headers(NO_STORE)
      return oauth.clientCredentials(account, request.body?.scope, request)
    },
  )

  fastify.post(
    '/introspect/',
    {
      attachValidation: true,
      schema: { ...common, operationId: 'introspectToken', summary: 'Whether a token is good now, and whose (RFC 7662)', body: TokenInRequest, response: { 200: Introspection, ...errors } },
    },
    async (request, reply) => {
      checked(request)
      const caller = await oauth.authenticateClient(request)
      const token = tokenOf(request.body)
      reply.headers(NO_STORE)
      return oauth.introspect(caller, token)
    },
  )

  fastify.post(
    '/revoke/',
    {
      attachValidation: true,
      // 200 with an empty body (RFC 7009 §2.2), even for an unknown token.
      schema: {
        ...common,
        operationId: 'revokeOAuthToken',
        summary: "End a token's session (RFC 7009)",
        body: TokenInRequest,
        response: { 200: Type.Null({ description: 'Revoked, or the token was unknown: no body' }), ...errors },
      },
    },
    async (request, reply) => {
      checked(request)
      const caller = await oauth.authenticateClient(request)
      await oauth.revoke(caller, tokenOf(request.body), request)
      // No body at all (the typed reply knows only the error bodies).
      await (reply as unknown as FastifyReply).headers(NO_STORE).send()
    },
  )
}

export default oauthRoutes
