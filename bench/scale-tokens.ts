// Tokens for the scale bench's seeded sessions, signed with the run's key exactly as Keyturn
// signs them (the same signer, header, kid and claim order as plugins/tokens/), so that
// Keyturn takes them on its own fast path. Logging in a million users would hash a million
// passwords; the bench holds the key it gave Keyturn and mints instead. For load tests only.
import { randomUUID } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { describeKey } from '../plugins/keys/key-ids.js'
import { liveTokenIndex, seededJti } from './scale-seed.js'

const ACCESS_LIFETIME_S = 15 * 60
const REFRESH_LIFETIME_S = 7 * 86_400

export interface Minter {
  // An access token of session `sid` (its user: (sid + 1) / 2), a fresh jti each.
  access(sid: number): string
  // The session's live refresh token, as seeded (scale-seed.ts).
  refresh(sid: number): string
}

export function minter(hmacSecret: string, now = Date.now()): Minter {
  const sign = createSigner({ key: hmacSecret, algorithm: 'HS256', kid: describeKey(hmacSecret, 'HS256').kid })
  const iat = Math.floor(now / 1000)
  const claims = (type: 'access' | 'refresh', exp: number, jti: string, sid: number) => ({
    token_type: type,
    exp,
    iat,
    jti,
    user_id: Math.floor((sid + 1) / 2),
    client_id: null,
    sid,
  })
  return {
    access: (sid) => sign(claims('access', iat + ACCESS_LIFETIME_S, randomUUID().replace(/-/g, ''), sid)),
    refresh: (sid) => sign(claims('refresh', iat + REFRESH_LIFETIME_S, seededJti(sid, liveTokenIndex(sid)), sid)),
  }
}

// `count` numbers spread evenly over 1..of (all of them when count >= of).
export function spread(count: number, of: number): number[] {
  const n = Math.min(count, of)
  return Array.from({ length: n }, (_, i) => 1 + Math.floor((i * of) / n))
}
