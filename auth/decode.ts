import type { TokenClaims, TokenService, TokenType } from '../plugins/tokens.js'
import { tokenNotValid, TokenError } from './errors.js'

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
