// The `keys` concern: the keys tokens are signed with, their ids, and the public ones every
// service may fetch (GET /.well-known/jwks.json) to verify tokens offline.
// - static (the default): the one key KEYTURN_SIGNING_KEY (and KEYTURN_VERIFYING_KEY) names;
// - managed (KEYTURN_KEYS=managed): key pairs Keyturn generates, keeps sealed in the store
//   and rotates (key-rotation.ts); every instance reads them again when the revocation log
//   says they changed (plugins/revocation/).
import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { KeyturnConfig } from '../../fastify.config.js'
import type { Database } from '../infra/store/database.js'
import type { PublicJwk } from './key-ids.js'
import { staticKey, type KeyMaterial } from './key-material.js'
import { KeyError, maintainKeys, revokeKey, type KeyPolicy, type RotationRequest } from './key-rotation.js'
import { encryptionKeyFrom } from './key-sealing.js'
import { allKeys, type SigningKeyRow } from './key-store.js'
import { loadKeys, type LoadedKeys } from './managed-keys.js'
import { resolveSigningKey } from './signing-key.js'

export { KeyError } from './key-rotation.js'
export type { KeyMaterial } from './key-material.js'

export interface KeySet {
  readonly managed: boolean
  // The key tokens are signed with now.
  signing(): KeyMaterial
  // The key a token's header `kid` names, if that key verifies (next, active, retired). A
  // token from before kids (none) is checked against the static key.
  verifying(kid: unknown): KeyMaterial | undefined
  // The JWKS: the public halves (none for an HMAC key).
  jwks(): { keys: PublicJwk[] }
  // Called when keys stop verifying (revoked, or retired and deleted), with their kids: what
  // was built on them goes.
  onRemoved(listener: (kids: string[]) => void): void
  // Reads the keys again (another instance changed them); nothing for static keys.
  reload(): Promise<void>
  // keyturn keys list | rotate | revoke (managed keys only; KeyError otherwise).
  list(): Promise<SigningKeyRow[]>
  rotate(request: Exclude<RotationRequest, 'none'>): Promise<string[]>
  revoke(kid: string): Promise<string[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    keys: KeySet
  }
}

const notManaged = async (): Promise<never> => {
  throw new KeyError('keys are static (KEYTURN_KEYS=static): set KEYTURN_KEYS=managed to have Keyturn generate and rotate them')
}

function staticKeys(config: KeyturnConfig, log: FastifyBaseLogger): KeySet {
  const key = staticKey(resolveSigningKey(config, log), config.KEYTURN_ALGORITHM)
  const published = { keys: key.jwk ? [key.jwk] : [] }
  return {
    managed: false,
    signing: () => key,
    verifying: (kid) => (kid === key.kid || kid === undefined ? key : undefined),
    jwks: () => published,
    onRemoved: () => {},
    reload: async () => {},
    list: notManaged,
    rotate: notManaged,
    revoke: notManaged,
  }
}

export function keyPolicy(config: KeyturnConfig): KeyPolicy {
  if (config.KEYTURN_ALGORITHM.startsWith('HS')) {
    throw new Error(`KEYTURN_KEYS=managed is for key pairs (EdDSA, ES*, RS*, PS*); KEYTURN_ALGORITHM is ${config.KEYTURN_ALGORITHM}`)
  }
  return {
    algorithm: config.KEYTURN_ALGORITHM,
    encryptionKey: encryptionKeyFrom(config.KEYTURN_KEY_ENCRYPTION_KEY),
    rotationIntervalMs: config.KEYTURN_KEY_ROTATION_INTERVAL,
    publicationDelayMs: 2 * config.KEYTURN_JWKS_MAX_AGE,
    retentionMs:
      Math.max(config.KEYTURN_ACCESS_TOKEN_LIFETIME, config.KEYTURN_REFRESH_TOKEN_LIFETIME, config.KEYTURN_SERVICE_TOKEN_LIFETIME) + config.KEYTURN_LEEWAY * 1000,
  }
}

async function managedKeys(db: Kysely<Database>, policy: KeyPolicy, log: FastifyBaseLogger): Promise<KeySet & { tick(): Promise<void>; dueAt(): number }> {
  const listeners: Array<(kids: string[]) => void> = []
  let loaded: LoadedKeys | undefined

  async function refresh(maintain: boolean, request: RotationRequest = 'none'): Promise<string[]> {
    let changes: string[] = []
    const before = loaded
    for (let attempt = 0; ; attempt++) {
      if (maintain || attempt > 0) changes = changes.concat(await maintainKeys(db, policy, Date.now(), request))
      const keys = await loadKeys(db, policy)
      if (keys !== undefined) {
        loaded = keys
        break
      }
      if (attempt > 2) throw new Error('no active signing key after maintaining the keys three times')
    }
    const removed = before === undefined ? [] : [...before.byKid.keys()].filter((kid) => !loaded?.byKid.has(kid))
    if (removed.length > 0) for (const listener of listeners) listener(removed)
    for (const change of changes) log.info({ keys: change }, 'signing keys changed')
    return changes
  }

  await refresh(true)
  const current = () => loaded as LoadedKeys
  return {
    managed: true,
    signing: () => current().active,
    verifying: (kid) => (typeof kid === 'string' ? current().byKid.get(kid) : undefined),
    jwks: () => current().jwks,
    onRemoved: (listener) => listeners.push(listener),
    reload: async () => void (await refresh(false)),
    list: async () => allKeys(db),
    rotate: async (request) => refresh(true, request),
    async revoke(kid) {
      const changes = await revokeKey(db, policy, kid, Date.now())
      await refresh(false)
      return changes
    },
    tick: async () => void (await refresh(true)),
    dueAt: () => current().dueAt,
  }
}

export default fp(
  async (fastify) => {
    const { config, log } = fastify
    if (config.KEYTURN_KEYS === 'static') {
      fastify.decorate('keys', staticKeys(config, log))
      return
    }
    const keys = await managedKeys(fastify.db, keyPolicy(config), log)
    // A next key due to sign, a retired one due to go: checked each second against memory,
    // so the store is asked only when something is due.
    let busy = false
    const timer = setInterval(() => {
      if (busy || Date.now() < keys.dueAt()) return
      busy = true
      keys
        .tick()
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'signing key maintenance failed'))
        .finally(() => {
          busy = false
        })
    }, 1000)
    timer.unref()
    fastify.addHook('onClose', async () => clearInterval(timer))
    fastify.decorate('keys', keys satisfies KeySet)
  },
  { name: 'keys', dependencies: ['config', 'db'] },
)
