// The audit trail's rows: appended by the flows (inside their own transactions where they
// have one), read by staff through the admin API, pruned by flushexpiredtokens.
import type { PageParams } from '../infra/pagination.js'
import { compiledQuery } from '../infra/store/compiled.js'
import { countedPage, countRows, type CountedPage } from '../infra/store/counted-page.js'
import type { Executor } from '../infra/store/database.js'
import { amongPicked } from '../infra/store/picked-rows.js'
import type { TenantScope } from '../users/tenancy.js'
import type { AuditEventRow, NewAuditEvent } from './tables.js'

// One insert per login and refresh: compiled once, like the other hot statements.
const insert = compiledQuery(
  (
    db,
    createdAt: number,
    event: string,
    outcome: string,
    userId: number | null,
    clientId: number | null,
    sessionId: number | null,
    actorId: number | null,
    ip: string | null,
    userAgent: string | null,
    detail: string | null,
  ) =>
    db.insertInto('audit_events').values({
      created_at: createdAt,
      event,
      outcome,
      user_id: userId,
      client_id: clientId,
      session_id: sessionId,
      actor_id: actorId,
      ip_address: ip,
      user_agent: userAgent,
      detail,
    }),
  10,
)

export async function insertAuditEvent(db: Executor, e: Omit<NewAuditEvent, 'id'>): Promise<void> {
  await insert(
    db,
    e.created_at,
    e.event,
    e.outcome,
    e.user_id ?? null,
    e.client_id ?? null,
    e.session_id ?? null,
    e.actor_id ?? null,
    e.ip_address ?? null,
    e.user_agent ?? null,
    e.detail ?? null,
  )
}

export interface AuditFilter {
  scope: TenantScope
  event?: string | undefined
  outcome?: string | undefined
  userId?: number | undefined
  sessionId?: number | undefined
  ip?: string | undefined
  since?: number | undefined
  until?: number | undefined
}

export type AuditListRow = AuditEventRow & { username: string | null }

function filtered(db: Executor, f: AuditFilter) {
  let query = db.selectFrom('audit_events').leftJoin('users', 'users.id', 'audit_events.user_id')
  if (!f.scope.all) {
    const clientId = f.scope.clientId
    query = clientId === null ? query.where('audit_events.client_id', 'is', null) : query.where('audit_events.client_id', '=', clientId)
  }
  if (f.event !== undefined) query = query.where('audit_events.event', '=', f.event)
  if (f.outcome !== undefined) query = query.where('audit_events.outcome', '=', f.outcome)
  if (f.userId !== undefined) query = query.where('audit_events.user_id', '=', f.userId)
  if (f.sessionId !== undefined) query = query.where('audit_events.session_id', '=', f.sessionId)
  if (f.ip !== undefined) query = query.where('audit_events.ip_address', '=', f.ip)
  if (f.since !== undefined) query = query.where('audit_events.created_at', '>=', f.since)
  if (f.until !== undefined) query = query.where('audit_events.created_at', '<', f.until)
  return query
}

export async function countAuditEvents(db: Executor, f: AuditFilter): Promise<number> {
  return countRows(filtered(db, f))
}

export function listAuditEvents(db: Executor, f: AuditFilter, page: PageParams): Promise<CountedPage<AuditListRow>> {
  return countedPage(
    filtered(db, f),
    (query) => query.selectAll('audit_events').select('users.username'),
    [
      ['audit_events.created_at', 'desc'],
      ['audit_events.id', 'desc'],
    ],
    page,
  )
}

// Removes up to `batch` rows older than `before`; returns how many it removed.
export async function deleteAuditEventsBefore(db: Executor, before: number, batch: number): Promise<number> {
  const victims = db.selectFrom('audit_events').select('id').where('created_at', '<', before).orderBy('created_at').limit(batch)
  const result = await db.deleteFrom('audit_events').where(amongPicked(db, 'id', victims)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
