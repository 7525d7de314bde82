// Managed signing keys (KEYTURN_KEYS=managed): see migrations/2026-11-30T00-signing-keys.ts.
import type { Generated } from 'kysely'

export type KeyState = 'next' | 'active' | 'retired' | 'revoked'

export interface SigningKeyTable {
  id: Generated<number>
  kid: string
  algorithm: string
  state: KeyState
  public_jwk: string
  sealed_private_key: string
  created_at: number
  activates_at: number
  activated_at: number | null
  retired_at: number | null
  revoked_at: number | null
}

declare module '../infra/store/database.js' {
  interface Database {
    signing_keys: SigningKeyTable
  }
}
