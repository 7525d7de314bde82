// Users and the clients (tenants) they belong to.
import type { Generated, Insertable, Selectable } from 'kysely'

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

export type Client = Selectable<ClientTable>
export type User = Selectable<UserTable>
export type NewUser = Insertable<UserTable>

declare module '../infra/store/database.js' {
  interface Database {
    clients: ClientTable
    users: UserTable
  }
}
