// How a service account authenticates to the OAuth endpoints (RFC 6749 §2.3.1): HTTP Basic,
// client_id and client_secret each form-urlencoded, or both in the body; one way, not both.
import type { FastifyRequest } from 'fastify'
import { oauthError } from './oauth-errors.js'

export interface ClientCredentials {
  clientId: string
  secret: string
}

export interface OAuthBody {
  client_id?: unknown
  client_secret?: unknown
}

function fromBasic(header: string): ClientCredentials {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) throw oauthError('invalid_client')
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '))
    return { clientId, secret }
  } catch {
    throw oauthError('invalid_client')
  }
}

const inBody = (request: FastifyRequest): boolean => {
  const body = (request.body ?? {}) as OAuthBody
  return body.client_id !== undefined || body.client_secret !== undefined
}

// The Authorization header, when the client authenticates with HTTP Basic alone.
export function basicHeaderOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  return header !== undefined && /^basic /i.test(header) && !inBody(request) ? header : undefined
}

export function clientCredentials(request: FastifyRequest): ClientCredentials {
  const header = request.headers.authorization
  const body = (request.body ?? {}) as OAuthBody
  if (header !== undefined && /^basic /i.test(header)) {
    if (inBody(request)) throw oauthError('invalid_request', 'Use one client authentication method, not both.')
    return fromBasic(header)
  }
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') {
    return { clientId: body.client_id, secret: body.client_secret }
  }
  throw oauthError('invalid_client')
}
