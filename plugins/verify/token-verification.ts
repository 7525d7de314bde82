// SimpleJWT's verify, plus sessions: an access token is checked against the in-memory
// revocation state; a refresh token also against the store's blacklist.
import type { FastifyInstance } from 'fastify'
import { findSession } from '../sessions/sessions-store.js'
import { decodeForTokenEndpoint } from '../tokens/index.js'
import { findRefreshToken } from '../tokens/outstanding-tokens.js'
import { tokenNotValid } from '../tokens/token-errors.js'
import type { TokenClaims } from '../tokens/token-claims.js'

// Throws the contract's 401 for a bad token. An access token, most of what is verified, is
// answered without a promise: nothing about it waits for the store, and the promises an
// async function and its await make were a tenth of a verify's garbage. A refresh token
// gives a promise that settles once the store has answered, and so does an access token
// while a start is still reading the revocation log (index.ts of revocation).
export function verifyToken(app: FastifyInstance, raw: string): Promise<void> | undefined {
  const { tokens, revocations } = app
  const claims = decodeForTokenEndpoint(tokens, raw)
  if (claims.token_type !== 'access') return verifyRefreshToken(app, claims)
  revocations.assertFresh(Date.now())
  const revoked = revocations.isSessionRevoked(claims.sid)
  if (revoked === true) throw tokenNotValid('blacklisted')
  return revoked === false ? undefined : refuseIfRevoked(revoked)
}

async function refuseIfRevoked(revoked: Promise<boolean>): Promise<void> {
  if (await revoked) throw tokenNotValid('blacklisted')
}

async function verifyRefreshToken({ db }: FastifyInstance, claims: TokenClaims): Promise<void> {
  const row = await findRefreshToken(db, claims.jti)
  if (!row) throw tokenNotValid('invalid')
  if (row.blacklisted_at !== null || row.rotated_at !== null) throw tokenNotValid('blacklisted')
  const session = await findSession(db, row.session_id)
  if (!session || session.revoked_at !== null) throw tokenNotValid('blacklisted')
}
