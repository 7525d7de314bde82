// The admin console's sign-ins: the SHA-256 of each browser's cookie token, by session.
import type { Insertable, Selectable } from 'kysely'

export interface ConsoleSessionTable {
  session_id: number
  token_hash: string
  created_at: number
}

export type ConsoleSession = Selectable<ConsoleSessionTable>
export type NewConsoleSession = Insertable<ConsoleSessionTable>

declare module '../infra/store/database.js' {
  interface Database {
    console_sessions: ConsoleSessionTable
  }
}
