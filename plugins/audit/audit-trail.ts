// The audit trail: who did what, from where, and how it ended. Events that change state are
// written inside the transaction that makes the change, so the trail and the store never
// disagree; a store that is down records nothing and changes nothing. Never a secret: no
// password, hash or token, and no login name that matches no account (people type their
// password into the username field).
import type { FastifyRequest } from 'fastify'
import type { Executor } from '../infra/store/database.js'
import type { AuditEventName, AuditOutcome } from '../../schemas/audit.js'
import { insertAuditEvent } from './audit-store.js'
import type { NewAuditEvent } from './tables.js'

// Where a request came from: the address honours X-Forwarded-For only from a trusted proxy.
export interface AuditSource {
  ip: string | null
  userAgent: string | null
}

export const CLI_SOURCE: AuditSource = { ip: null, userAgent: 'keyturn-cli' }

export function sourceOf(request: FastifyRequest): AuditSource {
  const agent = request.headers['user-agent']
  return { ip: request.ip.slice(0, 64), userAgent: agent === undefined ? null : agent.slice(0, 512) }
}

export interface AuditEntry {
  event: AuditEventName
  outcome: AuditOutcome
  userId?: number | null
  clientId?: number | null
  sessionId?: number | null
  // Who acted, when not the user themselves (an admin revoking a session).
  actorId?: number | null
  detail?: string | null
}

export async function recordAudit(db: Executor, source: AuditSource, entry: AuditEntry, now: number): Promise<void> {
  await insertAuditEvent(db, { created_at: now, ...auditRow(source, entry) })
}

// The row an entry becomes, for flows that write it as part of a statement of their own.
export function auditRow(source: AuditSource, entry: AuditEntry): Omit<NewAuditEvent, 'id' | 'created_at'> {
  return {
    event: entry.event,
    outcome: entry.outcome,
    user_id: entry.userId ?? null,
    client_id: entry.clientId ?? null,
    session_id: entry.sessionId ?? null,
    actor_id: entry.actorId ?? null,
    ip_address: source.ip,
    user_agent: source.userAgent,
    detail: entry.detail?.slice(0, 255) ?? null,
  }
}
