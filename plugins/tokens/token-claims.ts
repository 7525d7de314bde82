// The claims of Keyturn's JWTs (SimpleJWT's, plus the session and the tenant) and how a jti
// is made.
import { randomUUID } from 'node:crypto'
import { TokenError } from './token-errors.js'

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

// A service account's token (client credentials): no user, no session. `sub` is the
// account's OAuth client_id, `client_id` its tenant, as on users' tokens.
export interface ServiceTokenClaims {
  token_type: 'access'
  exp: number
  iat: number
  jti: string
  sub: string
  client_id: number | null
  scope: string
  iss?: string
  aud?: string
}

export const isServiceSubject = (sub: unknown): sub is string => typeof sub === 'string' && sub.startsWith('svc_')

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

// The claims of a token whose signature and lifetime hold, checked in SimpleJWT's order (exp,
// jti, type, then the user), each missing one with SimpleJWT's own text. A user_id that is a
// string of digits names the same user as the number, as SimpleJWT 5.5 mints it.
export function checkClaims(value: unknown): TokenClaims {
  if (typeof value !== 'object' || value === null) throw new TokenError('invalid')
  const c = value as Record<string, unknown>
  if (c.exp === undefined) throw new TokenError('no_exp')
  if (c.jti === undefined) throw new TokenError('no_id')
  if (c.token_type === undefined) throw new TokenError('no_type')
  if (c.token_type !== 'access' && c.token_type !== 'refresh') throw new TokenError('wrong_type')
  const userId = typeof c.user_id === 'string' && /^[0-9]{1,15}$/.test(c.user_id) ? Number(c.user_id) : c.user_id
  if (!Number.isSafeInteger(userId)) throw new TokenError('no_user')
  if (typeof c.jti !== 'string' || !Number.isSafeInteger(c.sid) || (c.client_id !== null && !Number.isSafeInteger(c.client_id))) {
    throw new TokenError('invalid')
  }
  if (userId !== c.user_id) return { ...c, user_id: userId } as unknown as TokenClaims
  return c as unknown as TokenClaims
}

// The claims of a service token whose signature and lifetime hold, or undefined when the
// token is not one (it names a user, or no service).
export function checkServiceClaims(value: unknown): ServiceTokenClaims | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const c = value as Record<string, unknown>
  if (c.user_id !== undefined || !isServiceSubject(c.sub)) return undefined
  const wellFormed =
    c.token_type === 'access' &&
    typeof c.jti === 'string' &&
    typeof c.scope === 'string' &&
    Number.isSafeInteger(c.exp) &&
    (c.client_id === null || Number.isSafeInteger(c.client_id))
  return wellFormed ? (c as unknown as ServiceTokenClaims) : undefined
}
