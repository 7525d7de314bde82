// The `tokens` concern: issues and decodes Keyturn's JWTs. @fastify/jwt builds fast-jwt's
// signer and verifier once, at registration, with the algorithm pinned; per request there is
// the HMAC, and not even that for an access token this process has verified before (see
// verified-token-cache.ts).
import { fastifyJwt, type JWT } from '@fastify/jwt'
import fp from 'fastify-plugin'
import { ClaimHooks, customClaimsOf, type CustomClaims } from './custom-claims.js'
import { checkClaims, newJti, type IssuedToken, type TokenClaims, type TokenSubject, type TokenType } from './token-claims.js'
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
}

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService
  }
}

// About 5 MB when full: a token, its claims and their lifetime a piece.
const VERIFIED_TOKENS_KEPT = 10_000

export default fp(
  async (fastify) => {
    const { config, keys } = fastify
    const leewayMs = config.KEYTURN_LEEWAY * 1000
    await fastify.register(fastifyJwt, {
      // Keyturn's own namespace (fastify.jwt.keyturn, request.keyturnJwtVerify, ...): a server
      // that embeds Keyturn and uses @fastify/jwt itself keeps its fastify.jwt.
      namespace: 'keyturn',
      secret: keys.signing.secret,
      sign: {
        algorithm: keys.signing.algorithm,
        // Every token names the key that signed it (RFC 7638 thumbprint, plugins/keys/).
        kid: keys.signing.kid,
        ...(config.KEYTURN_ISSUER ? { iss: config.KEYTURN_ISSUER } : {}),
        ...(config.KEYTURN_AUDIENCE ? { aud: config.KEYTURN_AUDIENCE } : {}),
      },
      verify: {
        algorithms: [config.KEYTURN_ALGORITHM],
        // fast-jwt checks iss/aud only when present, so require them when configured. A
        // missing exp, jti or type is refused after it, with SimpleJWT's text (checkClaims).
        requiredClaims: [...(config.KEYTURN_ISSUER ? ['iss'] : []), ...(config.KEYTURN_AUDIENCE ? ['aud'] : [])],
        clockTolerance: leewayMs,
        // fast-jwt's own cache keys entries by a hash of the token, which costs what an HMAC
        // does; decode() below keeps verified access tokens by the token itself instead.
        cache: false,
        ...(config.KEYTURN_ISSUER ? { allowedIss: config.KEYTURN_ISSUER } : {}),
        ...(config.KEYTURN_AUDIENCE ? { allowedAud: config.KEYTURN_AUDIENCE } : {}),
      },
    })

    // Typed as a plain JWT instance: declaring the namespace in FastifyJWT would retype an
    // embedding server's own fastify.jwt.
    const jwt = (fastify.jwt as unknown as Record<string, JWT>).keyturn as JWT
    const lifetimes: Record<TokenType, number> = {
      access: config.KEYTURN_ACCESS_TOKEN_LIFETIME,
      refresh: config.KEYTURN_REFRESH_TOKEN_LIFETIME,
    }

    const verified = new VerifiedTokenCache<TokenClaims>(VERIFIED_TOKENS_KEPT, leewayMs)

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
        const token = jwt.sign(custom === undefined ? claims : { ...custom, ...claims })
        return { token, jti, expiresAt: exp * 1000 }
      },
      resign(c) {
        // Same keys in the same order as issue(), so the bytes match.
        const claims = { token_type: c.token_type, exp: c.exp, iat: c.iat, jti: c.jti, user_id: c.user_id, client_id: c.client_id, sid: c.sid }
        const custom = customClaimsOf(c)
        return jwt.sign(custom === undefined ? claims : { ...custom, ...claims })
      },
      decode(raw, expected) {
        let claims = verified.get(raw, Date.now())
        if (claims === undefined) {
          let decoded: unknown
          try {
            decoded = jwt.verify(raw)
          } catch {
            // Whatever fast-jwt disliked (signature, alg, exp, nbf, iss, aud, shape), the
            // client learns only that the token is not valid.
            throw new TokenError('invalid')
          }
          // The right signature under a kid that names no key of ours (SQL, a path, 8 KB, an
          // object) is refused all the same. A token from before kids carries none.
          const kid = headerKid(raw)
          if (kid !== undefined && (typeof kid !== 'string' || !keys.verifies(kid))) throw new TokenError('invalid')
          claims = checkClaims(decoded)
          // Access tokens come back on every call; a refresh token is used once.
          if (claims.token_type === 'access') verified.set(raw, claims)
        }
        if (expected && claims.token_type !== expected) throw new TokenError('wrong_type')
        return claims
      },
    }
    fastify.decorate('tokens', service)
  },
  { name: 'tokens', dependencies: ['config', 'keys'] },
)

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

// The header's kid, of a token whose signature has just been verified (so its header parses).
function headerKid(raw: string): unknown {
  const header = JSON.parse(Buffer.from(raw.slice(0, raw.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown }
  return header.kid
}
