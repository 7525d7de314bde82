// Every error a client can cause, with the exact body of the contract. Route handlers throw
// these; the error handler sends them as they are.
export class ApiError extends Error {
  readonly statusCode: number
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${statusCode}`)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.body = body
    this.headers = headers
  }
}

export type TokenProblem = 'invalid' | 'wrong_type' | 'blacklisted'

export const TOKEN_MESSAGES: Record<TokenProblem, string> = {
  invalid: 'Token is invalid or expired',
  wrong_type: 'Token has wrong type',
  blacklisted: 'Token is blacklisted',
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

// The error handler adds WWW-Authenticate to every 401, from the configured header types.
function unauthorized(body: Record<string, unknown>): ApiError {
  return new ApiError(401, body)
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

export const errors = {
  notAuthenticated: () => unauthorized({ detail: 'Authentication credentials were not provided.' }),
  badAuthorizationHeader: () =>
    unauthorized({
      detail: 'Authorization header must contain two space-delimited values',
      code: 'bad_authorization_header',
    }),
  userNotFound: () => unauthorized({ detail: 'User not found', code: 'user_not_found' }),
  userInactive: () => unauthorized({ detail: 'User is inactive', code: 'user_inactive' }),
  noActiveAccount: () => unauthorized({ detail: 'No active account found with the given credentials' }),
  noActiveAccountForToken: () => unauthorized({ detail: 'No active account found for the given token.' }),
  permissionDenied: () => new ApiError(403, { detail: 'You do not have permission to perform this action.' }),
  notFound: () => new ApiError(404, { detail: 'Not found.' }),
  throttled: (waitMs: number) => {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000))
    return new ApiError(429, { detail: `Request was throttled. Expected available in ${seconds} seconds.` }, { 'retry-after': String(seconds) })
  },
  // Retry-After on every 503: an outage, stale revocation state, or a server closing.
  storeUnavailable: () =>
    new ApiError(503, { detail: 'Service temporarily unavailable, try again later.', code: 'service_unavailable' }, { 'retry-after': '1' }),
}
