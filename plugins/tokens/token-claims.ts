// The claims of Keyturn's JWTs (SimpleJWT's, plus the session and the tenant) and how a jti
// is made.
import { randomUUID } from 'node:crypto'

export type TokenType = 'access' | 'refresh'

export interface TokenClaims {
  token_type: TokenType
  exp: number
  iat: number
  jti: string
  user_id: number
  client_id: number | null
  sid: number
  iss?: string
  aud?: string
}

// Whom a token is for.
export interface TokenSubject {
  userId: number
  clientId: number | null
  sessionId: number
}

export interface IssuedToken {
  token: string
  jti: string
  expiresAt: number // ms
}

// 32 hex digits like SimpleJWT's uuid4().hex, but time-ordered as a UUIDv7 (RFC 9562): 48
// bits of milliseconds, then 74 random bits. Each refresh stores its jti in an index; random
// ones land on a random page each (one more page written per refresh, and a cold page read
// once the index outgrows the cache), time-ordered ones next to the last.
export function newJti(now = Date.now()): string {
  const random = randomUUID() // xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx
  return now.toString(16).padStart(12, '0') + '7' + random.slice(15, 18) + random.slice(19, 23) + random.slice(24)
}

export function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return (
    (c.token_type === 'access' || c.token_type === 'refresh') &&
    typeof c.jti === 'string' &&
    Number.isSafeInteger(c.user_id) &&
    Number.isSafeInteger(c.sid) &&
    (c.client_id === null || Number.isSafeInteger(c.client_id))
  )
}
