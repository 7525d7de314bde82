// The life of managed keys. A key is created 'next' and published; it signs ('active') once
// it has been published for twice the JWKS max-age, so a verifier that caches the JWKS for
// that long has it before it meets a token of it; the key it replaces is 'retired',
// published until every token it signed has expired, then deleted. 'revoked' (a leaked key)
// unpublishes at once. Every change appends a 'key' entry to the revocation log, which every
// instance polls: that is how they all learn within a second that the keys changed.
import type { Kysely } from 'kysely'
import type { Database, Transaction } from '../infra/store/database.js'
import { recordRevocation } from '../revocation/revocation-log.js'
import { generateKeyPair, type Algorithm } from './key-material.js'
import { seal } from './key-sealing.js'
import { deleteKey, insertKey, keyByKid, liveKeys, lockedKeys, setActivation, setKeyState, type SigningKeyRow } from './key-store.js'
import type { KeyState } from './tables.js'

export interface KeyPolicy {
  algorithm: Algorithm
  encryptionKey: Buffer
  rotationIntervalMs: number
  // How long a new key is published before it signs: twice the JWKS max-age.
  publicationDelayMs: number
  // How long a retired key stays published: the longest a token it signed may live.
  retentionMs: number
}

// 'scheduled': the next key signs as soon as it has been published long enough (keys rotate);
// 'now': at once, published long enough or not (keys rotate --now, or the active key revoked).
export type RotationRequest = 'none' | 'scheduled' | 'now'

export class KeyError extends Error {}

// Brings the keys to where the policy wants them at `now`; says what changed (nothing, most
// of the time).
export async function maintainKeys(db: Kysely<Database>, policy: KeyPolicy, now: number, request: RotationRequest = 'none'): Promise<string[]> {
  return lockedKeys(db, async (trx) => logged(trx, now, await settle(trx, policy, now, request)))
}

export async function revokeKey(db: Kysely<Database>, policy: KeyPolicy, kid: string, now: number): Promise<string[]> {
  return lockedKeys(db, async (trx) => {
    const key = await keyByKid(trx, kid)
    if (key === undefined) throw new KeyError(`no key has the id ${kid} (keyturn keys list shows them)`)
    if (key.state === 'revoked') return [`${kid} was revoked already`]
    await setKeyState(trx, key.id, 'revoked', now)
    // A revoked active key is replaced at once: nothing may sign with it any more.
    const rest = await settle(trx, policy, now, key.state === 'active' ? 'now' : 'none')
    return logged(trx, now, [`${kid}: ${key.state} -> revoked`, ...rest])
  })
}

async function logged(trx: Transaction, now: number, changes: string[]): Promise<string[]> {
  if (changes.length > 0) await recordRevocation(trx, 'key', 0, now)
  return changes
}

async function settle(trx: Transaction, policy: KeyPolicy, now: number, request: RotationRequest): Promise<string[]> {
  const said: string[] = []
  const keys = await liveKeys(trx)
  let active = keys.find((k) => k.state === 'active')
  let next = keys.find((k) => k.state === 'next')
  const { algorithm, publicationDelayMs: delay } = policy

  // A next key of another algorithm than the configured one has never signed: replace it.
  if (next !== undefined && next.algorithm !== algorithm) {
    await deleteKey(trx, next.id)
    said.push(`${next.kid}: next (${next.algorithm}) removed, KEYTURN_ALGORITHM is ${algorithm}`)
    next = undefined
  }
  if (next === undefined && request !== 'none') next = await create(trx, policy, 'next', now, now + delay, said)
  if (next !== undefined && request !== 'none') {
    const at = request === 'now' ? now : Math.min(next.activates_at, Math.max(now, next.created_at + delay))
    if (at !== next.activates_at) {
      await setActivation(trx, next.id, at)
      // Logged like any change, so every instance learns when to hand signing over.
      if (at > now) said.push(`${next.kid}: next, signs from ${new Date(at).toISOString()}`)
    }
    next = { ...next, activates_at: at }
  }
  if (next !== undefined && (active === undefined || next.activates_at <= now)) {
    if (active !== undefined) {
      await setKeyState(trx, active.id, 'retired', now)
      said.push(`${active.kid}: active -> retired`)
    }
    await setKeyState(trx, next.id, 'active', now)
    said.push(`${next.kid}: next -> active`)
    active = { ...next, state: 'active', activated_at: now }
    next = undefined
  }
  // No key at all (the first start, or the only ones revoked): one signs at once, since no
  // verifier can have cached a JWKS that lacks it... or can, after a revoke: jose and its
  // peers fetch the JWKS again on an unknown kid.
  if (active === undefined) active = await create(trx, policy, 'active', now, now, said)
  if (next === undefined) {
    const due = active.algorithm === algorithm ? (active.activated_at ?? now) + policy.rotationIntervalMs : now
    await create(trx, policy, 'next', now, Math.max(now + delay, due), said)
  }
  for (const key of keys) {
    if (key.state === 'retired' && (key.retired_at ?? 0) + policy.retentionMs <= now) {
      await deleteKey(trx, key.id)
      said.push(`${key.kid}: retired key deleted, every token it signed has expired`)
    }
  }
  return said
}

async function create(trx: Transaction, policy: KeyPolicy, state: KeyState, now: number, activatesAt: number, said: string[]): Promise<SigningKeyRow> {
  const { privatePem, jwk } = generateKeyPair(policy.algorithm)
  const row = await insertKey(trx, {
    kid: jwk.kid,
    algorithm: policy.algorithm,
    state,
    public_jwk: JSON.stringify(jwk),
    sealed_private_key: seal(policy.encryptionKey, jwk.kid, privatePem),
    created_at: now,
    activates_at: activatesAt,
    activated_at: state === 'active' ? now : null,
    retired_at: null,
    revoked_at: null,
  })
  said.push(`${row.kid}: new ${policy.algorithm} key, ${state}${state === 'next' ? `, signs from ${new Date(activatesAt).toISOString()}` : ''}`)
  return row
}

