// The `keys` concern: the keys tokens are signed with, their ids, and the public ones every
// service may fetch (GET /.well-known/jwks.json) to verify tokens offline. Static keys for
// now: the one KEYTURN_SIGNING_KEY (and KEYTURN_VERIFYING_KEY) names.
import fp from 'fastify-plugin'
import type { KeyturnConfig } from '../../fastify.config.js'
import { describeKey, type PublishedKey } from './key-ids.js'
import { resolveSigningKey, type JwtSecret } from './signing-key.js'

export interface KeySet {
  // What tokens are signed with: the secret (or key pair) and its id.
  readonly signing: { kid: string; secret: JwtSecret; algorithm: KeyturnConfig['KEYTURN_ALGORITHM'] }
  // Whether a token's `kid` names a key that verifies: an unknown one is refused outright.
  verifies(kid: string): boolean
  // The JWKS: the public halves (none for an HMAC key).
  jwks(): { keys: NonNullable<PublishedKey['jwk']>[] }
}

declare module 'fastify' {
  interface FastifyInstance {
    keys: KeySet
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    const secret = resolveSigningKey(config, fastify.log)
    const key = describeKey(secret, config.KEYTURN_ALGORITHM)
    const published = { keys: key.jwk ? [key.jwk] : [] }
    fastify.decorate('keys', {
      signing: { kid: key.kid, secret, algorithm: config.KEYTURN_ALGORITHM },
      verifies: (kid) => kid === key.kid,
      jwks: () => published,
    } satisfies KeySet)
  },
  { name: 'keys', dependencies: ['config'] },
)
