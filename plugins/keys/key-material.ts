// A key as the tokens concern uses it: its id, its algorithm, what signs and what verifies.
// Static keys come from the configuration (signing-key.ts); managed ones from the store
// (managed-keys.ts), generated here.
import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import type { KeyturnConfig } from '../../fastify.config.js'
import { describeKey, type PublicJwk } from './key-ids.js'
import type { JwtSecret } from './signing-key.js'

export type Algorithm = KeyturnConfig['KEYTURN_ALGORITHM']

export interface KeyMaterial {
  readonly kid: string
  readonly algorithm: Algorithm
  // The HMAC secret or the private key (PEM); undefined for a key that only verifies.
  readonly signingKey: string | undefined
  // The HMAC secret or the public key (PEM).
  readonly verifyingKey: string
  // What /.well-known/jwks.json publishes (never for an HMAC key).
  readonly jwk: PublicJwk | undefined
}

export function staticKey(secret: JwtSecret, algorithm: Algorithm): KeyMaterial {
  const { kid, jwk } = describeKey(secret, algorithm)
  return typeof secret === 'string'
    ? { kid, algorithm, signingKey: secret, verifyingKey: secret, jwk }
    : { kid, algorithm, signingKey: secret.private, verifyingKey: secret.public, jwk }
}

// A managed key from its stored public JWK and, for the one that signs, its private PEM.
export function storedKey(algorithm: Algorithm, jwk: PublicJwk, privatePem: string | undefined): KeyMaterial {
  const publicPem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
  return { kid: jwk.kid, algorithm, signingKey: privatePem, verifyingKey: publicPem, jwk }
}

// A fresh key pair for a managed key. RSA at 2048 bits, as RFC 7518 asks at least.
export function generateKeyPair(algorithm: Algorithm): { privatePem: string; jwk: PublicJwk } {
  const pair =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : algorithm.startsWith('ES')
        ? generateKeyPairSync('ec', { namedCurve: CURVES[algorithm] as string })
        : algorithm.startsWith('RS') || algorithm.startsWith('PS')
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : undefined
  if (pair === undefined) throw new Error(`managed keys are for EdDSA, ES* , RS* and PS* algorithms, not ${algorithm}`)
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const { jwk } = describeKey({ private: privatePem, public: publicPem }, algorithm)
  return { privatePem, jwk: jwk as PublicJwk }
}

const CURVES: Partial<Record<Algorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }
