// The store's shape as Kysely sees it. Times are epoch milliseconds, flags 0/1, on both
// dialects (see the initial migration).
import { PostgresAdapter, type Generated, type Insertable, type Kysely, type Selectable, type Transaction as KyselyTransaction, type Updateable } from 'kysely'

export interface ClientTable {
  id: Generated<number>
  name: string
  created_at: number
}

export interface UserTable {
  id: Generated<number>
  username: string
  email: string | null
  password_hash: string
  first_name: Generated<string>
  last_name: Generated<string>
  client_id: number | null
  is_active: Generated<number>
  is_staff: Generated<number>
  is_superuser: Generated<number>
  is_manager: Generated<number>
  date_joined: number
  last_login: number | null
  expires_at: number | null
  created_at: number
  updated_at: number
}

export interface SessionTable {
  id: Generated<number>
  user_id: number
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

export interface RefreshTokenTable {
  jti: string
  session_id: number
  user_id: number
  issued_at: number
  expires_at: number
  rotated_at: number | null
  replaced_by: string | null
  blacklisted_at: number | null
  grace_used_at: Generated<number | null>
}

// 'client' comes only from the clients triggers: its subject is a client, whose users
// every instance drops from memory (they carry its name).
export type RevocationKind = 'session' | 'user' | 'client'

export interface RevocationTable {
  id: Generated<number>
  kind: RevocationKind
  subject_id: number
  created_at: number
}

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

export interface Database {
  clients: ClientTable
  users: UserTable
  sessions: SessionTable
  refresh_tokens: RefreshTokenTable
  revocations: RevocationTable
  audit_events: AuditEventTable
}

export type Client = Selectable<ClientTable>
export type User = Selectable<UserTable>
export type NewUser = Insertable<UserTable>
export type UserUpdate = Updateable<UserTable>
export type Session = Selectable<SessionTable>
export type NewSession = Insertable<SessionTable>
export type RefreshToken = Selectable<RefreshTokenTable>
export type AuditEventRow = Selectable<AuditEventTable>
export type NewAuditEvent = Insertable<AuditEventTable>

// Repository functions take either, so a transaction is just an argument.
export type Transaction = KyselyTransaction<Database>
export type Executor = Kysely<Database> | Transaction

// For the few statements that differ by dialect.
export function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}
