// A key's id (`kid`) and its public half as a JWK (RFC 7517). The id is the RFC 7638
// thumbprint of the public key: the SHA-256 of its required members in a fixed order, so any
// verifier can compute it, and it never tells anything about a private half. An HMAC key
// has no public half: its id is the thumbprint of an `oct` key holding the SHA-256 of the
// secret (never the secret), and it is never published.
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto'
import type { JwtSecret } from './signing-key.js'

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const REQUIRED: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
}

export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = REQUIRED[String(jwk.kty)]
  if (members === undefined) throw new Error(`no thumbprint for a key of type ${String(jwk.kty)}`)
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`
  return createHash('sha256').update(canonical).digest('base64url')
}

export type PublicJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' }

export interface PublishedKey {
  kid: string
  // The public JWK to publish, or undefined for an HMAC key (never published).
  jwk: PublicJwk | undefined
}

// The id and the public JWK of a key (an HMAC secret, or a PEM pair).
export function describeKey(secret: JwtSecret, algorithm: string): PublishedKey {
  if (typeof secret === 'string') {
    const k = createHash('sha256').update(secret).digest('base64url')
    return { kid: jwkThumbprint({ kty: 'oct', k }), jwk: undefined }
  }
  const { kty, crv, x, y, n, e } = createPublicKey(secret.public).export({ format: 'jwk' })
  const members = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JsonWebKey
  const kid = jwkThumbprint(members)
  return { kid, jwk: { ...members, kid, alg: algorithm, use: 'sig' } }
}
