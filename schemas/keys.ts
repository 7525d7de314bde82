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
  { description: 'A public key; never a private or HMAC one' },
)

export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) })
