// Service account credentials. The secret is 32 random bytes, so a fast hash (SHA-256) is
// enough to keep the store from holding it: there is nothing to guess that a slow hash would
// protect. Compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const newOauthClientId = (): string => `svc_${randomBytes(12).toString('base64url')}`

export const newClientSecret = (): string => randomBytes(32).toString('base64url')

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex')

export function secretMatches(secret: string, hash: string | null): boolean {
  if (hash === null) return false
  const presented = Buffer.from(hashSecret(secret), 'hex')
  const kept = Buffer.from(hash, 'hex')
  return kept.length === presented.length && timingSafeEqual(presented, kept)
}

// Until when `secret` authenticates the account: for ever (its secret, until the next
// rotation), the end of the overlap (the secret before it), or undefined (neither).
export function secretValidUntil(
  account: { secret_hash: string; previous_secret_hash: string | null; previous_secret_expires_at: number | null },
  secret: string,
  now: number,
): number | undefined {
  if (secretMatches(secret, account.secret_hash)) return Infinity
  const overlapEnd = account.previous_secret_expires_at ?? 0
  return overlapEnd > now && secretMatches(secret, account.previous_secret_hash) ? overlapEnd : undefined
}
