// Ending sessions on a user's (or an admin's) request. Each commits, with its audit rows,
// before it answers and tells this instance's memory at once; other instances learn it from
// the revocation log.
import type { FastifyInstance } from 'fastify'
import type { Executor } from '../infra/store/database.js'
import { recordAudit, type AuditSource } from '../audit/audit-trail.js'
import type { SessionEndReason } from '../events/event-types.js'
import { revokeSession, revokeUserSessions } from './sessions-store.js'

// The reasons the store records (sessions.revoked_reason), as events tell them.
const EVENT_REASONS: Record<string, SessionEndReason> = {
  logout: 'logout',
  blacklisted: 'logout',
  logout_all: 'logout_all',
  revoked_by_user: 'revoke',
  revoked_all_by_user: 'revoke',
  revoked_by_admin: 'admin',
  password_changed: 'password_change',
  account_disabled: 'deactivation',
  refresh_token_reuse: 'reuse',
}

// After the commit that ended these sessions: this instance's memory learns it at once (the
// revocation log tells the others), and plugins hear of each.
export function sessionsEnded(app: FastifyInstance, ids: readonly number[], owner: SessionOwner, reason: string, now: number, actorId: number | null = null): void {
  for (const id of ids) {
    app.revocations.sessionRevoked(id, now)
    const event = { userId: owner.userId, clientId: owner.clientId, sessionId: id, reason: EVENT_REASONS[reason] ?? 'revoke', actorId }
    app.events.emit('session_revoked', event, now)
  }
}

// Inside the transaction that ended these sessions: a session.revoked webhook event for each.
export async function stageSessionsEnded(app: FastifyInstance, trx: Executor, ids: readonly number[], owner: SessionOwner, reason: string, now: number, actorId: number | null = null): Promise<void> {
  if (ids.length === 0 || !app.webhooks.wants('session.revoked', owner.clientId)) return
  const extra = { reason: EVENT_REASONS[reason] ?? 'revoke', actor_id: actorId }
  for (const sessionId of ids) await app.webhooks.stage(trx, { type: 'session.revoked', ...owner, sessionId, extra }, now)
}

// Why a session ends, as the trail records it: a logout, or a revocation by the user or by
// staff (actorId, when it is not the session's own user).
export interface Ending {
  reason: string
  event: 'logout' | 'session_revoked'
  source: AuditSource
  actorId?: number
}

export interface SessionOwner {
  userId: number
  clientId: number | null
}

export const ownerOf = (user: { id: number; clientId: number | null }): SessionOwner => ({ userId: user.id, clientId: user.clientId })

export async function endSession(app: FastifyInstance, sessionId: number, owner: SessionOwner, ending: Ending): Promise<void> {
  const now = Date.now()
  const ended = await app.db.transaction().execute(async (trx) => {
    const revoked = await revokeSession(trx, sessionId, ending.reason, now)
    if (revoked) {
      await stageSessionsEnded(app, trx, [sessionId], owner, ending.reason, now, ending.actorId ?? null)
      await recordEnding(trx, sessionId, owner, ending, now)
    }
    return revoked
  })
  if (ended) sessionsEnded(app, [sessionId], owner, ending.reason, now, ending.actorId ?? null)
  else app.revocations.sessionRevoked(sessionId, now) // ended already, perhaps by another instance
}

// Returns how many sessions this call ended.
export async function endUserSessions(app: FastifyInstance, owner: SessionOwner, ending: Ending, keep?: number, now = Date.now()): Promise<number> {
  const ids = await app.db.transaction().execute(async (trx) => {
    const ended = await revokeUserSessions(trx, owner.userId, ending.reason, now, keep)
    await stageSessionsEnded(app, trx, ended, owner, ending.reason, now, ending.actorId ?? null)
    for (const id of ended) await recordEnding(trx, id, owner, ending, now)
    return ended
  })
  sessionsEnded(app, ids, owner, ending.reason, now, ending.actorId ?? null)
  return ids.length
}

function recordEnding(db: Parameters<typeof recordAudit>[0], sessionId: number, owner: SessionOwner, ending: Ending, now: number) {
  return recordAudit(
    db,
    ending.source,
    {
      event: ending.event,
      outcome: 'success',
      userId: owner.userId,
      clientId: owner.clientId,
      sessionId,
      actorId: ending.actorId ?? null,
      detail: ending.reason,
    },
    now,
  )
}
