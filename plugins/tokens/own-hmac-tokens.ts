// The signature check for Keyturn's own HMAC tokens, without the general decoder. A token this
// process has not seen before (a gateway verifying for many users, past the verified-token
// cache) pays the whole of fast-jwt's verifier: the header decoded twice (once to pick the key
// by its kid), a base64url check of each part, a new HMAC key each time. But an HMAC key's
// tokens all begin with the same bytes, the header its signer writes; a token that begins with
// exactly those needs none of that. Here the MAC over header and payload is computed with a key
// object made once, and compared in constant time with the token's own signature text (so a
// second spelling of the same bytes is refused, as fast-jwt's check refuses it); only then is
// the payload decoded. Its claims are checked as fast-jwt checks them with Keyturn's options
// (required iss/aud, nbf, exp with the leeway, iss and aud values), each failure the same
// "not valid". A token with any other header (another kid, alg "none", a header of extra
// fields) is not answered here: the caller hands it to fast-jwt.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { TokenError } from './token-errors.js'

const HMAC_HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

export interface OwnTokenRules {
  leewayMs: number
  issuer?: string
  audience?: string
}

export interface OwnHmacTokens {
  // The payload of a token with the key's own header, checked (or TokenError); undefined for
  // a token with any other header, which this does not judge.
  verify(raw: string, now: number): object | undefined
}

// For an HMAC key: `sampleToken` is any token its signer made (for the header it writes), the
// secret is what fast-jwt is given. Undefined for other algorithms.
export function ownHmacTokens(algorithm: string, secret: string, sampleToken: string, rules: OwnTokenRules): OwnHmacTokens | undefined {
  const hash = HMAC_HASHES[algorithm]
  if (hash === undefined) return undefined
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'))
  const prefix = sampleToken.slice(0, sampleToken.indexOf('.') + 1)
  return {
    verify(raw, now) {
      if (!raw.startsWith(prefix)) return undefined
      const dot = raw.indexOf('.', prefix.length)
      if (dot < 0) throw new TokenError('invalid')
      const expected = createHmac(hash, key).update(raw.slice(0, dot)).digest('base64url')
      // As UTF-8 bytes: a character past Latin-1 must not pass for the letter in its low byte.
      const given = Buffer.from(raw.slice(dot + 1), 'utf8')
      const wanted = Buffer.from(expected, 'utf8')
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new TokenError('invalid')
      const payload = JSON.parse(Buffer.from(raw.slice(prefix.length, dot), 'base64url').toString('utf8')) as unknown
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new TokenError('invalid')
      checkLifetimeAndParties(payload as Record<string, unknown>, now, rules)
      return payload as object
    },
  }
}

// fast-jwt's validators as Keyturn configures them: a claim is checked when present (iss and
// aud must be, when configured); a date is a number, nbf not ahead of now and exp not behind
// it, by more than the leeway.
function checkLifetimeAndParties(c: Record<string, unknown>, now: number, rules: OwnTokenRules): void {
  if (rules.issuer !== undefined && !('iss' in c)) throw new TokenError('invalid')
  if (rules.audience !== undefined && !('aud' in c)) throw new TokenError('invalid')
  if ('nbf' in c && (typeof c.nbf !== 'number' || now < c.nbf * 1000 - rules.leewayMs)) throw new TokenError('invalid')
  if ('exp' in c && (typeof c.exp !== 'number' || now > c.exp * 1000 + rules.leewayMs)) throw new TokenError('invalid')
  if (rules.audience !== undefined) {
    const values = Array.isArray(c.aud) ? (c.aud as unknown[]) : [c.aud]
    if (values.some((v) => typeof v !== 'string') || !values.includes(rules.audience)) throw new TokenError('invalid')
  }
  if (rules.issuer !== undefined && c.iss !== rules.issuer) throw new TokenError('invalid')
}
