// The public signing keys: GET /.well-known/jwks.json (RFC 7517).
import { Type } from '@sinclair/typebox'

export const PublicJwk = Type.Object(
  {
    kty: Type.String(),
    kid: Type.String(),
    alg: Type.String(),
    use: Type.Literal('sig'),
    crv: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
    n: Type.Optional(Type.String()),
    e: Type.Optional(Type.String()),
  },
  { title: 'PublicJwk', description: 'A public key; never a private or HMAC one' },
)

export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) }, { title: 'Jwks' })

// RFC 8414 authorization server metadata, as far as Keyturn is one (client credentials,
// introspection, revocation; no authorization endpoint, no ID tokens).
export const ServerMetadata = Type.Object({
  issuer: Type.String(),
  jwks_uri: Type.String(),
  token_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  scopes_supported: Type.Optional(Type.Array(Type.String())),
}, { title: 'ServerMetadata' })
