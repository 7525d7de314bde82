// SimpleJWT's token errors: what decoding found wrong, and the two bodies it is told in (the
// token endpoints' InvalidToken, and the Bearer routes' JWTAuthentication answer).
import { unauthorized, type ApiError } from '../infra/api-error.js'

export type TokenProblem = 'invalid' | 'wrong_type' | 'blacklisted' | 'no_exp' | 'no_id' | 'no_type' | 'no_user'

// SimpleJWT's own texts, for a token signed with the right key but malformed too.
export const TOKEN_MESSAGES: Record<TokenProblem, string> = {
  invalid: 'Token is invalid or expired',
  wrong_type: 'Token has wrong type',
  blacklisted: 'Token is blacklisted',
  no_exp: "Token has no 'exp' claim",
  no_id: 'Token has no id',
  no_type: 'Token has no type',
  no_user: 'Token contained no recognizable user identification',
}

// Raised by token decoding; routes turn it into the body their endpoint uses.
export class TokenError extends Error {
  readonly problem: TokenProblem
  constructor(problem: TokenProblem) {
    super(TOKEN_MESSAGES[problem])
    this.name = 'TokenError'
    this.problem = problem
  }
}

// Token endpoints (refresh, verify, blacklist): SimpleJWT's InvalidToken body.
export function tokenNotValid(problem: TokenProblem): ApiError {
  return unauthorized({ detail: TOKEN_MESSAGES[problem], code: 'token_not_valid' })
}

// Bearer-authenticated routes: SimpleJWT's JWTAuthentication body.
export function bearerTokenNotValid(problem: TokenProblem): ApiError {
  return unauthorized({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message: TOKEN_MESSAGES[problem] }],
  })
}
