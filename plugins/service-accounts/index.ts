// The `serviceAccounts` concern: machine clients of a tenant (or of none, a global service)
// that authenticate with a client_id and secret to get tokens of their own (client
// credentials) and to introspect and revoke tokens (plugins/oauth/). Managed with
// `keyturn createservice` and /api/v1/admin/services/.
import fp from 'fastify-plugin'
import { recordRevocation } from '../revocation/revocation-log.js'
import type { PageParams } from '../infra/pagination.js'
import type { Transaction } from '../infra/store/database.js'
import type { CountedPage } from '../infra/store/counted-page.js'
import type { TenantScope } from '../users/tenancy.js'
import { hashSecret, secretValidUntil, newClientSecret, newOauthClientId } from './client-secrets.js'
import {
  deleteServiceAccount,
  findByOauthClientId,
  findServiceAccount,
  insertServiceAccount,
  listServiceAccounts,
  updateServiceAccount,
} from './service-accounts-store.js'
import type { ServiceAccount } from './tables.js'

export type { ServiceAccount } from './tables.js'

// Bad input from staff or the CLI: a 400 or exit code 2, with this text.
export class ServiceAccountError extends Error {
  override name = 'ServiceAccountError'
}

export interface ServiceAccountChanges {
  name?: string
  scopes?: string[]
  isActive?: boolean
}

export interface ServiceAccounts {
  // The secret is in the answer once; the store keeps its hash.
  create(input: { name: string; clientId: number | null; scopes: string[] }): Promise<{ account: ServiceAccount; secret: string }>
  list(scope: TenantScope, page: PageParams): Promise<CountedPage<ServiceAccount>>
  // An account the scope may see; undefined otherwise, exactly as for a missing one.
  get(scope: TenantScope, id: number): Promise<ServiceAccount | undefined>
  update(scope: TenantScope, id: number, changes: ServiceAccountChanges): Promise<ServiceAccount | undefined>
  remove(scope: TenantScope, id: number): Promise<boolean>
  // A new secret; the old one keeps working for `overlapMs`.
  rotateSecret(scope: TenantScope, id: number, overlapMs: number): Promise<{ account: ServiceAccount; secret: string } | undefined>
  // OAuth client authentication: the active account these credentials name and until when
  // they do (Infinity, or the end of a rotated secret's overlap), or undefined.
  authenticate(oauthClientId: string, secret: string, now: number): Promise<{ account: ServiceAccount; validUntil: number } | undefined>
  // The account a client_id names (from memory, once read), active or not.
  find(oauthClientId: string): Promise<ServiceAccount | undefined>
  // The scopes an account holds.
  scopesOf(account: ServiceAccount): string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    serviceAccounts: ServiceAccounts
  }
}

// RFC 6749 §3.3: a scope token is printable ASCII without space, '"' or '\'.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/

// Accounts by client_id, so a token or an introspection costs no store read. Every change is
// a 'service' entry in the revocation log, written with it, which drops the entry here and on
// every other instance within a second. Unknown client_ids are not kept (guesses cannot fill
// it); a full cache starts over.
const ACCOUNTS_KEPT = 10_000

export default fp(
  async (fastify) => {
    const { db, config, revocations } = fastify
    const cached = new Map<string, ServiceAccount>()
    const clientIdOf = new Map<number, string>()
    const forget = (id: number) => {
      const clientId = clientIdOf.get(id)
      if (clientId !== undefined) cached.delete(clientId)
      clientIdOf.delete(id)
    }
    revocations.onEntry('service', forget)

    // A change and its log entry in one transaction; this instance forgets at once.
    async function changed<T>(id: number, change: (trx: Transaction) => Promise<T>): Promise<T> {
      const result = await db.transaction().execute(async (trx) => {
        const done = await change(trx)
        await recordRevocation(trx, 'service', id, Date.now())
        return done
      })
      forget(id)
      return result
    }

    const configured = config.KEYTURN_SCOPES.length > 0 ? new Set(config.KEYTURN_SCOPES) : undefined

    function checkedScopes(scopes: string[]): string {
      const unique = [...new Set(scopes)]
      for (const scope of unique) {
        if (!SCOPE_TOKEN.test(scope)) throw new ServiceAccountError(`not a scope: ${JSON.stringify(scope.slice(0, 100))} (printable ASCII, no spaces or quotes)`)
        if (configured && !configured.has(scope)) throw new ServiceAccountError(`unknown scope ${scope} (KEYTURN_SCOPES: ${[...configured].join(', ')})`)
      }
      const joined = unique.join(' ')
      if (joined.length > 1000) throw new ServiceAccountError('too many scopes (1000 characters at most)')
      return joined
    }

    function checkedName(name: string): string {
      const trimmed = name.trim()
      if (trimmed === '' || trimmed.length > 150) throw new ServiceAccountError('a service needs a name of 1 to 150 characters')
      return trimmed
    }

    const service: ServiceAccounts = {
      async create({ name, clientId, scopes }) {
        const secret = newClientSecret()
        const now = Date.now()
        const account = await insertServiceAccount(db, {
          oauth_client_id: newOauthClientId(),
          name: checkedName(name),
          client_id: clientId,
          scopes: checkedScopes(scopes),
          is_active: 1,
          secret_hash: hashSecret(secret),
          previous_secret_hash: null,
          previous_secret_expires_at: null,
          created_at: now,
          updated_at: now,
        })
        return { account, secret }
      },
      list: (scope, page) => listServiceAccounts(db, scope, page),
      get: (scope, id) => findServiceAccount(db, scope, id),
      async update(scope, id, changes) {
        const account = await findServiceAccount(db, scope, id)
        if (account === undefined) return undefined
        const fields = {
            ...(changes.name !== undefined ? { name: checkedName(changes.name) } : {}),
            ...(changes.scopes !== undefined ? { scopes: checkedScopes(changes.scopes) } : {}),
            ...(changes.isActive !== undefined ? { is_active: changes.isActive ? 1 : 0 } : {}),
        }
        return changed(id, (trx) => updateServiceAccount(trx, id, fields, Date.now()))
      },
      async remove(scope, id) {
        const account = await findServiceAccount(db, scope, id)
        if (account === undefined) return false
        await changed(id, (trx) => deleteServiceAccount(trx, id))
        return true
      },
      async rotateSecret(scope, id, overlapMs) {
        const account = await findServiceAccount(db, scope, id)
        if (account === undefined) return undefined
        const secret = newClientSecret()
        const now = Date.now()
        const fields = {
          secret_hash: hashSecret(secret),
          previous_secret_hash: overlapMs > 0 ? account.secret_hash : null,
          previous_secret_expires_at: overlapMs > 0 ? now + overlapMs : null,
        }
        const updated = await changed(id, (trx) => updateServiceAccount(trx, id, fields, now))
        return { account: updated, secret }
      },
      async authenticate(oauthClientId, secret, now) {
        const account = await service.find(oauthClientId)
        if (account === undefined || account.is_active !== 1) return undefined
        const validUntil = secretValidUntil(account, secret, now)
        return validUntil === undefined ? undefined : { account, validUntil }
      },
      async find(oauthClientId) {
        const known = cached.get(oauthClientId)
        if (known !== undefined) return known
        const account = await findByOauthClientId(db, oauthClientId)
        if (account !== undefined) {
          if (cached.size >= ACCOUNTS_KEPT) {
            cached.clear()
            clientIdOf.clear()
          }
          cached.set(oauthClientId, account)
          clientIdOf.set(account.id, oauthClientId)
        }
        return account
      },
      scopesOf: (account) => (account.scopes === '' ? [] : account.scopes.split(' ')),
    }
    fastify.decorate('serviceAccounts', service)
  },
  { name: 'service-accounts', dependencies: ['config', 'db', 'revocations'] },
)
