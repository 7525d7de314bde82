// The OAuth endpoints' bodies: client credentials (RFC 6749 §4.4), introspection (RFC 7662)
// and revocation (RFC 7009), form-encoded or JSON.
import { Type } from '@sinclair/typebox'

const ClientAuth = {
  client_id: Type.Optional(Type.String({ maxLength: 200, description: "the service account's client_id (or HTTP Basic)" })),
  client_secret: Type.Optional(Type.String({ maxLength: 200, description: 'its secret (or HTTP Basic)' })),
}

export const TokenRequest = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 100, description: 'client_credentials' })),
  scope: Type.Optional(Type.String({ maxLength: 1000, description: "space-separated; a subset of the account's (default: all of them)" })),
  ...ClientAuth,
}, { title: 'ClientCredentialsRequest' })

export const TokenGrant = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
}, { title: 'ClientCredentialsGrant' })

export const TokenInRequest = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 16384 })),
  token_type_hint: Type.Optional(Type.String({ maxLength: 100, description: 'access_token or refresh_token (a hint only)' })),
  ...ClientAuth,
}, { title: 'OAuthTokenRequest' })

export const Introspection = Type.Object(
  {
    active: Type.Boolean(),
    token_type: Type.Optional(Type.String({ description: 'access or refresh' })),
    sub: Type.Optional(Type.String({ description: "the user's id, or the service account's client_id" })),
    user_id: Type.Optional(Type.Integer()),
    username: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'the tenant' })),
    sid: Type.Optional(Type.Integer()),
    scope: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    jti: Type.Optional(Type.String()),
    iss: Type.Optional(Type.String()),
    aud: Type.Optional(Type.String()),
  },
  { title: 'Introspection', description: '{"active": false} alone for anything expired, revoked, forged, or of another tenant' },
)

export const OAuthError = Type.Object({
  error: Type.String({ enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_scope'] }),
  error_description: Type.Optional(Type.String()),
}, { title: 'OAuthError' })

// HTTP Basic, or client_id and client_secret in the body (which OpenAPI cannot name).
export const clientSecurity: Array<Record<string, string[]>> = [{ clientBasic: [] }, {}]
