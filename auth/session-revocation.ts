// Ending sessions on a user's (or an admin's) request. Each commits before it answers and
// tells this instance's memory at once; other instances learn it from the revocation log.
import type { FastifyInstance } from 'fastify'
import { revokeSession, revokeUserSessions } from '../store/sessions.js'

export async function endSession(app: FastifyInstance, sessionId: number, reason: string): Promise<void> {
  const now = Date.now()
  await app.db.transaction().execute((trx) => revokeSession(trx, sessionId, reason, now))
  app.revocations.sessionRevoked(sessionId, now)
}

// Returns how many sessions this call ended.
export async function endUserSessions(
  app: FastifyInstance,
  userId: number,
  reason: string,
  keep?: number,
): Promise<number> {
  const now = Date.now()
  const ids = await app.db.transaction().execute((trx) => revokeUserSessions(trx, userId, reason, now, keep))
  for (const id of ids) app.revocations.sessionRevoked(id, now)
  return ids.length
}
