// Service accounts: see migrations/2026-11-30T01-service-accounts.ts.
import type { Generated, Selectable } from 'kysely'

export interface ServiceAccountTable {
  id: Generated<number>
  oauth_client_id: string
  name: string
  client_id: number | null
  scopes: string
  is_active: number
  secret_hash: string
  previous_secret_hash: string | null
  previous_secret_expires_at: number | null
  created_at: number
  updated_at: number
}

export type ServiceAccount = Selectable<ServiceAccountTable>

declare module '../infra/store/database.js' {
  interface Database {
    service_accounts: ServiceAccountTable
  }
}
