// The revocation log: every revoking write appends a row (and the users and clients triggers
// do, for changes made behind Keyturn's back); every instance polls it.
import type { Generated } from 'kysely'

// 'client' comes only from the clients triggers: its subject is a client, whose users
// every instance drops from memory (they carry its name). 'key': the managed signing keys
// changed (a rotation, a revoke); every instance reads them again (no subject: 0).
// 'service': a service account changed (disabled, rescoped, its secret rotated, deleted);
// every instance drops what it keeps of it. 'webhook': an endpoint changed; every instance
// reads again which endpoints want which events.
export type RevocationKind = 'session' | 'user' | 'client' | 'key' | 'service' | 'webhook'

export interface RevocationTable {
  id: Generated<number>
  kind: RevocationKind
  subject_id: number
  created_at: number
}

declare module '../infra/store/database.js' {
  interface Database {
    revocations: RevocationTable
  }
}
