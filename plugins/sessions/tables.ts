// A session is a device's login: every token carries its id (`sid`).
import type { Generated, Insertable, Selectable } from 'kysely'

export interface SessionTable {
  id: Generated<number>
  user_id: number
  // The user's client (tenant), copied at login: a user's client never changes. Staff
  // listings find a tenant's sessions by it without going through users.
  client_id: number | null
  client_type: string | null
  device_name: string | null
  telegram_user_id: number | null
  telegram_username: string | null
  ip_address: string | null
  user_agent: string | null
  created_at: number
  last_activity: number
  expires_at: number
  revoked_at: number | null
  revoked_reason: string | null
}

export type Session = Selectable<SessionTable>
export type NewSession = Insertable<SessionTable>

declare module '../infra/store/database.js' {
  interface Database {
    sessions: SessionTable
  }
}
