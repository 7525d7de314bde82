// OAuth 2.0's error answers (RFC 6749 §5.2), which the token, introspection and revocation
// endpoints give instead of DRF's: {"error": "...", "error_description"?: "..."}, never cached.
import { ApiError } from '../infra/api-error.js'

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

export function oauthError(code: OAuthErrorCode, description?: string): ApiError {
  const body = description === undefined ? { error: code } : { error: code, error_description: description }
  if (code === 'invalid_client') return new ApiError(401, body, { ...NO_STORE, 'www-authenticate': 'Basic realm="keyturn"' })
  return new ApiError(400, body, NO_STORE)
}

// Guesses at one client_id past the free failures wait, as failed logins do.
export function clientThrottled(waitMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return new ApiError(
    429,
    { error: 'invalid_client', error_description: `Too many failed attempts for this client: try again in ${seconds} seconds.` },
    { ...NO_STORE, 'retry-after': String(seconds) },
  )
}

export { NO_STORE }
