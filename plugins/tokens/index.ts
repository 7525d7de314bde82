// The `tokens` concern: issues and decodes Keyturn's JWTs with fast-jwt (what @fastify/jwt
// runs on). A signer and a verifier are built once a key, with the algorithm pinned to the
// key's own, and dropped when the keys change (plugins/keys/); per request there is the
// signature check, and not even that for an access token this process has verified before
// (see verified-token-cache.ts and verified-digests.ts).
import { createSigner, createVerifier } from 'fast-jwt'
import fp from 'fastify-plugin'
import type { KeyMaterial } from '../keys/index.js'
import { ClaimHooks, customClaimsOf, type CustomClaims } from './custom-claims.js'
import { ownHmacTokens, type OwnHmacTokens } from './own-hmac-tokens.js'
import {
  checkClaims,
  checkServiceClaims,
  newJti,
  type IssuedToken,
  type ServiceTokenClaims,
  type TokenClaims,
  type TokenSubject,
  type TokenType,
} from './token-claims.js'
import { TokenError, tokenNotValid } from './token-errors.js'
import { VerifiedTokenCache } from './verified-token-cache.js'

export interface TokenService {
  readonly accessLifetimeMs: number
  readonly refreshLifetimeMs: number
  readonly leewayMs: number
  // Plugins' custom claims (fastify.keyturn.claims).
  readonly claims: ClaimHooks
  // `notAfter` (ms) caps the lifetime: no token outlives its session. `custom`: plugins' claims.
  issue(type: TokenType, subject: TokenSubject, now: number, notAfter?: number, custom?: CustomClaims): IssuedToken
  // Signs exactly these claims again, custom ones included: used to hand a rotated token's
  // successor out again. HMAC, RSA (PKCS#1 v1.5) and EdDSA signatures are deterministic, so
  // the same claims give the same token; ECDSA and RSA-PSS ones differ byte-wise each time.
  resign(claims: TokenClaims): string
  // Signature, lifetime, issuer, audience, the claims SimpleJWT requires, and the type;
  // throws TokenError.
  decode(raw: string, expected?: TokenType): TokenClaims
  // A service account's access token (client credentials), for KEYTURN_SERVICE_TOKEN_LIFETIME.
  issueService(subject: { oauthClientId: string; clientId: number | null; scope: string }, now: number): IssuedToken
  // Any of Keyturn's tokens, a user's or a service's, checked as decode() checks them (for
  // introspection); throws TokenError.
  inspect(raw: string): { kind: 'user'; claims: TokenClaims } | { kind: 'service'; claims: ServiceTokenClaims }
}

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService
  }
}

export default fp(
  async (fastify) => {
    const { config, keys } = fastify
    const leewayMs = config.KEYTURN_LEEWAY * 1000
    const signOptions = {
      ...(config.KEYTURN_ISSUER ? { iss: config.KEYTURN_ISSUER } : {}),
      ...(config.KEYTURN_AUDIENCE ? { aud: config.KEYTURN_AUDIENCE } : {}),
    }
    const verifyOptions = {
      // fast-jwt checks iss/aud only when present, so require them when configured. A
      // missing exp, jti or type is refused after it, with SimpleJWT's text (checkClaims).
      requiredClaims: [...(config.KEYTURN_ISSUER ? ['iss'] : []), ...(config.KEYTURN_AUDIENCE ? ['aud'] : [])],
      clockTolerance: leewayMs,
      // fast-jwt's own cache keys entries by a hash of the token, which costs what an HMAC
      // does; decode() below keeps verified access tokens by the token itself instead.
      cache: false,
      ...(config.KEYTURN_ISSUER ? { allowedIss: config.KEYTURN_ISSUER } : {}),
      ...(config.KEYTURN_AUDIENCE ? { allowedAud: config.KEYTURN_AUDIENCE } : {}),
    }
    type Sign = (payload: Record<string, unknown>) => string
    type Verify = (token: string) => unknown
    const signers = new Map<string, Sign>()
    const verifiers = new Map<string, Verify>()
    // Every token names the key that signed it (kid: an RFC 7638 thumbprint, plugins/keys/).
    const signerOf = (key: KeyMaterial): Sign =>
      signers.get(key.kid) ??
      signers.set(key.kid, createSigner({ key: key.signingKey as string, algorithm: key.algorithm, kid: key.kid, ...signOptions })).get(key.kid)!
    const verifierOf = (key: KeyMaterial): Verify =>
      verifiers.get(key.kid) ??
      verifiers.set(key.kid, createVerifier({ key: key.verifyingKey, algorithms: [key.algorithm], ...verifyOptions })).get(key.kid)!
    const sign: Sign = (payload) => signerOf(keys.signing())(payload)
    // An HMAC key's own tokens are checked without the general decoder (own-hmac-tokens.ts).
    const rules = { leewayMs, issuer: config.KEYTURN_ISSUER, audience: config.KEYTURN_AUDIENCE }
    const owns = new Map<string, OwnHmacTokens | undefined>()
    const ownTokensOf = (key: KeyMaterial): OwnHmacTokens | undefined => {
      if (!owns.has(key.kid)) {
        const hmac = key.algorithm.startsWith('HS') && key.signingKey !== undefined
        owns.set(key.kid, hmac ? ownHmacTokens(key.algorithm, key.verifyingKey, signerOf(key)({}), rules) : undefined)
      }
      return owns.get(key.kid)
    }

    const lifetimes: Record<TokenType, number> = {
      access: config.KEYTURN_ACCESS_TOKEN_LIFETIME,
      refresh: config.KEYTURN_REFRESH_TOKEN_LIFETIME,
    }

    // Only users' access tokens enter it (verifiedClaims): one found by its digest alone was
    // one of those, its claims read off it as they were when it was verified.
    const verified = new VerifiedTokenCache<TokenClaims>(config.KEYTURN_VERIFIED_TOKEN_CACHE_SIZE, leewayMs, config.KEYTURN_VERIFIED_TOKEN_DIGESTS, (raw) =>
      checkClaims(payloadOf(raw)),
    )
    // A key revoked (or retired and deleted): its tokens must fail at once, those verified
    // before included.
    keys.onRemoved((kids) => {
      for (const kid of kids) {
        signers.delete(kid)
        verifiers.delete(kid)
        owns.delete(kid)
      }
      verified.clear()
    })

    const service: TokenService = {
      accessLifetimeMs: lifetimes.access,
      refreshLifetimeMs: lifetimes.refresh,
      leewayMs,
      claims: new ClaimHooks(),
      issue(type, subject, now, notAfter = Infinity, custom) {
        const iat = Math.floor(now / 1000)
        const exp = Math.floor(Math.min(now + lifetimes[type], notAfter) / 1000)
        const jti = newJti()
        const claims = { token_type: type, exp, iat, jti, user_id: subject.userId, client_id: subject.clientId, sid: subject.sessionId }
        // Plugins' claims first: nothing of theirs can stand in for a reserved one.
        const token = sign(custom === undefined ? claims : { ...custom, ...claims })
        return { token, jti, expiresAt: exp * 1000 }
      },
      resign(c) {
        // Same keys in the same order as issue(), so the bytes match.
        const claims = { token_type: c.token_type, exp: c.exp, iat: c.iat, jti: c.jti, user_id: c.user_id, client_id: c.client_id, sid: c.sid }
        const custom = customClaimsOf(c)
        return sign(custom === undefined ? claims : { ...custom, ...claims })
      },
      decode(raw, expected) {
        const claims = verifiedClaims(raw)
        // A service's token names no user: SimpleJWT's answer to that, whatever its type.
        if (isService(claims)) throw new TokenError('no_user')
        if (expected && claims.token_type !== expected) throw new TokenError('wrong_type')
        return claims
      },
      issueService({ oauthClientId, clientId, scope }, now) {
        const iat = Math.floor(now / 1000)
        const exp = Math.floor((now + config.KEYTURN_SERVICE_TOKEN_LIFETIME) / 1000)
        const jti = newJti()
        const token = sign({ token_type: 'access', exp, iat, jti, sub: oauthClientId, client_id: clientId, scope })
        return { token, jti, expiresAt: exp * 1000 }
      },
      inspect(raw) {
        const claims = verifiedClaims(raw)
        return isService(claims) ? { kind: 'service', claims } : { kind: 'user', claims }
      },
    }

    // A user's or a service's claims, checked; users' access tokens come back on every call
    // and are kept (a refresh token is used once).
    function verifiedClaims(raw: string): TokenClaims | ServiceTokenClaims {
      const now = Date.now()
      const cached = verified.get(raw, now)
      if (cached !== undefined) return cached
      const payload = verifiedPayload(raw, now)
      const service = checkServiceClaims(payload)
      if (service !== undefined) return service
      const claims = checkClaims(payload)
      if (claims.token_type === 'access') verified.set(raw, claims)
      return claims
    }

    // The payload of a token whose key, signature, lifetime, issuer and audience hold.
    function verifiedPayload(raw: string, now: number): unknown {
      try {
        const own = ownTokensOf(keys.signing())?.verify(raw, now)
        if (own !== undefined) return own
      } catch {
        throw new TokenError('invalid')
      }
      // The key the header names, or none: a kid of no key of ours (SQL, a path, 8 KB, an
      // object, a revoked key's) is refused even when the signature is right for another.
      const key = keys.verifying(headerKid(raw))
      if (key === undefined) throw new TokenError('invalid')
      try {
        return verifierOf(key)(raw)
      } catch {
        // Whatever fast-jwt disliked (signature, alg, exp, nbf, iss, aud, shape), the
        // client learns only that the token is not valid.
        throw new TokenError('invalid')
      }
    }
    fastify.decorate('tokens', service)
  },
  { name: 'tokens', dependencies: ['config', 'keys'] },
)

const isService = (claims: TokenClaims | ServiceTokenClaims): claims is ServiceTokenClaims => (claims as Partial<TokenClaims>).user_id === undefined

// Decodes a token sent to a token endpoint (refresh, verify, blacklist, logout): a bad one
// is SimpleJWT's InvalidToken answer.
export function decodeForTokenEndpoint(tokens: TokenService, raw: string, expected?: TokenType): TokenClaims {
  try {
    return tokens.decode(raw, expected)
  } catch (err) {
    if (err instanceof TokenError) throw tokenNotValid(err.problem)
    throw err
  }
}

// The payload of a token whose signature was checked before.
function payloadOf(raw: string): unknown {
  const first = raw.indexOf('.')
  const second = raw.indexOf('.', first + 1)
  return JSON.parse(Buffer.from(raw.slice(first + 1, second), 'base64url').toString('utf8')) as unknown
}

// The header's kid, read before the signature is checked (it picks the key), so from an
// untrusted header: anything unreadable is "no such key". Undefined when there is none.
function headerKid(raw: string): unknown {
  const dot = raw.indexOf('.')
  if (dot <= 0) return null
  try {
    const header = JSON.parse(Buffer.from(raw.slice(0, dot), 'base64url').toString('utf8')) as unknown
    return typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : null
  } catch {
    return null
  }
}
