// Every refresh token issued (SimpleJWT's OutstandingToken), with its rotation and blacklist
// marks: login inserts, refresh rotates, blacklist marks, verify reads.
import type { Generated, Selectable } from 'kysely'

export interface RefreshTokenTable {
  jti: string
  session_id: number
  user_id: number
  issued_at: number
  expires_at: number
  rotated_at: number | null
  replaced_by: string | null
  blacklisted_at: number | null
  // Written by no code since the reuse interval admits every presentation within it (the
  // column stays: migrations are never edited).
  grace_used_at: Generated<number | null>
}

export type RefreshToken = Selectable<RefreshTokenTable>

declare module '../infra/store/database.js' {
  interface Database {
    refresh_tokens: RefreshTokenTable
  }
}
