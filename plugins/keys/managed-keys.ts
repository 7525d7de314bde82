// What one instance holds of the managed keys: every published key's public half, the active
// key's private half (unsealed in memory only), and when the keys next need a change. Read
// from the store at the start and whenever the revocation log says the keys changed.
import type { Kysely } from 'kysely'
import type { Database } from '../infra/store/database.js'
import type { PublicJwk } from './key-ids.js'
import { storedKey, type Algorithm, type KeyMaterial } from './key-material.js'
import type { KeyPolicy } from './key-rotation.js'
import { unseal } from './key-sealing.js'
import { liveKeys } from './key-store.js'

export interface LoadedKeys {
  active: KeyMaterial
  byKid: Map<string, KeyMaterial>
  jwks: { keys: PublicJwk[] }
  // When maintainKeys has something to do: a next key due to sign, a retired one to delete.
  dueAt: number
}

// Undefined when no key is active (a revoke on another instance between maintaining and
// loading): maintain again.
export async function loadKeys(db: Kysely<Database>, policy: KeyPolicy): Promise<LoadedKeys | undefined> {
  const rows = await liveKeys(db)
  const byKid = new Map<string, KeyMaterial>()
  let active: KeyMaterial | undefined
  let dueAt = Infinity
  for (const row of rows) {
    const jwk = JSON.parse(row.public_jwk) as PublicJwk
    const signing = row.state === 'active'
    const key = storedKey(row.algorithm as Algorithm, jwk, signing ? unseal(policy.encryptionKey, row.kid, row.sealed_private_key) : undefined)
    byKid.set(row.kid, key)
    if (signing) active = key
    if (row.state === 'next') dueAt = Math.min(dueAt, row.activates_at)
    if (row.state === 'retired') dueAt = Math.min(dueAt, (row.retired_at ?? 0) + policy.retentionMs)
  }
  if (active === undefined) return undefined
  // The signing key first: a verifier that takes the first key finds the right one.
  const ordered = [active, ...[...byKid.values()].filter((k) => k !== active)]
  return { active, byKid, jwks: { keys: ordered.map((k) => k.jwk as PublicJwk) }, dueAt }
}
