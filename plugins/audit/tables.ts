// The audit trail: one row per security-relevant event.
import type { Generated, Insertable, Selectable } from 'kysely'

export interface AuditEventTable {
  id: Generated<number>
  created_at: number
  event: string
  outcome: string
  user_id: number | null
  client_id: number | null
  session_id: number | null
  actor_id: number | null
  ip_address: string | null
  user_agent: string | null
  detail: string | null
}

export type AuditEventRow = Selectable<AuditEventTable>
export type NewAuditEvent = Insertable<AuditEventTable>

declare module '../infra/store/database.js' {
  interface Database {
    audit_events: AuditEventTable
  }
}
