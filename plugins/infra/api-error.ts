// An error a client can cause, with the exact body of the contract: route handlers and
// services throw these, and the error handler sends them as they are. The answers every
// concern shares are here; each concern keeps its own (token errors in plugins/tokens/...).
import { parseId } from '../../schemas/common.js'

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

// The error handler adds WWW-Authenticate to every 401, from the configured header types.
export function unauthorized(body: Record<string, unknown>): ApiError {
  return new ApiError(401, body)
}

export const errors = {
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

// A row's id from its path segment; not a number: not found, without asking the store.
export function idOrNotFound(raw: string): number {
  const id = parseId(raw)
  if (id === undefined) throw errors.notFound()
  return id
}
