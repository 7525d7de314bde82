// SimpleJWT's verify, plus sessions: an access token is checked against the in-memory
// revocation state; a refresh token also against the store's blacklist.
import type { FastifyInstance } from 'fastify'
import { findSession } from '../sessions/sessions-store.js'
import { decodeForTokenEndpoint } from '../tokens/index.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import { tokenNotValid } from '../tokens/token-errors.js'

export async function verifyToken(app: FastifyInstance, raw: string): Promise<void> {
  const { tokens, revocations, db } = app
  const claims = decodeForTokenEndpoint(tokens, raw)
  if (claims.token_type === 'access') {
    revocations.assertFresh(Date.now())
    if (revocations.state.isSessionRevoked(claims.sid)) throw tokenNotValid('blacklisted')
    return
  }
  const row = await findRefreshToken(db, claims.jti)
  if (!row) throw tokenNotValid('invalid')
  if (row.blacklisted_at !== null || row.rotated_at !== null) throw tokenNotValid('blacklisted')
  const session = await findSession(db, row.session_id)
  if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')
}
