// Account administration shared by the CLI, the tests and (later) admin routes. Every
// change that must reach running instances goes through the revocation log: a users row's
// own triggers write its entry (migrations/2026-11-24T00-user-change-revocations.ts).
import type { Kysely } from 'kysely'
import { CLI_SOURCE, recordAudit } from '../audit/audit-trail.js'
import type { Database, Transaction } from '../infra/store/database.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { revokeUserSessions } from '../sessions/sessions-store.js'
import { createClient, findClientByName } from '../users/clients-store.js'
import type { User } from '../users/tables.js'
import { findUserByUsername, insertUser, setPasswordHash } from '../users/users-store.js'

export class AccountError extends Error {
  override name = 'AccountError'
}

export interface NewAccount {
  username: string
  password: string
  email?: string | undefined
  firstName?: string | undefined
  lastName?: string | undefined
  clientName?: string | undefined
  isStaff?: boolean
  isSuperuser?: boolean
  isManager?: boolean
  isActive?: boolean
  expiresAt?: number | null
}

export async function addClient(db: Kysely<Database>, name: string, now = Date.now()) {
  const trimmed = name.trim()
  if (!trimmed) throw new AccountError('client name must not be blank')
  if (await findClientByName(db, trimmed)) throw new AccountError(`a client named "${trimmed}" already exists`)
  return createClient(db, trimmed, now)
}

// What a caller writes in a change's own transaction (webhook events), after the change.
export type InTransaction<T extends unknown[]> = (trx: Transaction, ...facts: T) => Promise<void>

export async function createAccount(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  account: NewAccount,
  now = Date.now(),
  inTransaction?: InTransaction<[User]>,
): Promise<User> {
  const username = account.username.trim()
  if (!username) throw new AccountError('username must not be blank')
  if (username.length > 150) throw new AccountError('username must be at most 150 characters')
  if (account.password.length === 0) throw new AccountError('password must not be empty')
  const email = account.email?.trim().toLowerCase() || null
  if (email !== null && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new AccountError(`not an email address: ${email}`)
  let clientId: number | null = null
  if (account.clientName !== undefined) {
    const client = await findClientByName(db, account.clientName.trim())
    if (!client) throw new AccountError(`unknown client "${account.clientName}" (create it with: keyturn createclient --name ...)`)
    clientId = client.id
  }
  if (await findUserByUsername(db, username)) throw new AccountError(`a user named "${username}" already exists`)
  if (email !== null) {
    const taken = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
    if (taken) throw new AccountError(`the email ${email} is already in use`)
  }
  const passwordHash = await hasher.hash(account.password)
  const row = {
    username,
    email,
    password_hash: passwordHash,
    first_name: account.firstName ?? '',
    last_name: account.lastName ?? '',
    client_id: clientId,
    is_active: account.isActive === false ? 0 : 1,
    is_staff: account.isStaff ? 1 : 0,
    is_superuser: account.isSuperuser ? 1 : 0,
    is_manager: account.isManager ? 1 : 0,
    date_joined: now,
    last_login: null,
    expires_at: account.expiresAt ?? null,
    created_at: now,
    updated_at: now,
  }
  return db.transaction().execute(async (trx) => {
    const user = await insertUser(trx, row)
    await inTransaction?.(trx, user)
    return user
  })
}

// A new password ends every session of the user, on every instance.
export async function changePassword(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  username: string,
  password: string,
  now = Date.now(),
  inTransaction?: InTransaction<[User, number[]]>,
): Promise<{ user: User; endedSessionIds: number[] }> {
  if (password.length === 0) throw new AccountError('password must not be empty')
  const user = await findUserByUsername(db, username)
  if (!user) throw new AccountError(`no user named "${username}"`)
  const hash = await hasher.hash(password)
  const ended = await db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, user.id, hash, now)
    const sessions = await revokeUserSessions(trx, user.id, 'password_changed', now)
    const detail = `ended ${sessions.length} session(s)`
    await recordAudit(trx, CLI_SOURCE, { event: 'password_changed', outcome: 'success', userId: user.id, clientId: user.client_id, detail }, now)
    await inTransaction?.(trx, user, sessions)
    return sessions
  })
  return { user, endedSessionIds: ended }
}

export interface AccountChanges {
  isActive?: boolean | undefined
  expiresAt?: number | null | undefined
  isStaff?: boolean | undefined
  isSuperuser?: boolean | undefined
  isManager?: boolean | undefined
}

// Changes a user's standing. Deactivating ends every session; any change reaches the
// in-memory user state of every instance through the revocation log (by the trigger).
export async function updateAccount(
  db: Kysely<Database>,
  username: string,
  changes: AccountChanges,
  now = Date.now(),
  inTransaction?: InTransaction<[User, number[], string[]]>,
): Promise<{ user: User; endedSessionIds: number[]; changed: string[] }> {
  const user = await findUserByUsername(db, username)
  if (!user) throw new AccountError(`no user named "${username}"`)
  const flag = (v: boolean | undefined) => (v === undefined ? undefined : v ? 1 : 0)
  const set = {
    is_active: flag(changes.isActive),
    is_staff: flag(changes.isStaff),
    is_superuser: flag(changes.isSuperuser),
    is_manager: flag(changes.isManager),
    expires_at: changes.expiresAt,
  }
  const defined = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined))
  if (Object.keys(defined).length === 0) throw new AccountError('nothing to change')
  const endsSessions = changes.isActive === false || (changes.expiresAt != null && changes.expiresAt <= now)
  const changed = Object.keys(defined).filter((field) => defined[field] !== user[field as keyof typeof user])
  const ended = await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ ...defined, updated_at: now }).where('id', '=', user.id).execute()
    const sessions = endsSessions ? await revokeUserSessions(trx, user.id, 'account_disabled', now) : []
    await inTransaction?.(trx, user, sessions, changed)
    return sessions
  })
  const updated = await findUserByUsername(db, username)
  return { user: updated ?? user, endedSessionIds: ended, changed }
}
