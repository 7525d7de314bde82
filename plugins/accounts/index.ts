// The `accounts` concern: creating users and clients, changing passwords and a user's
// standing. The `keyturn` command's user commands are these, on the same store and hasher
// as the server's; once a change has committed, this instance's memory learns of it and
// plugins hear of it (user_created, password_changed, user_updated, session_revoked).
import fp from 'fastify-plugin'
import { sessionsEnded, stageSessionsEnded } from '../sessions/session-ending.js'
import type { Transaction } from '../infra/store/database.js'
import type { Client, User } from '../users/tables.js'
import {
  addClient,
  changePassword,
  createAccount,
  updateAccount,
  type AccountChanges,
  type NewAccount,
} from './accounts.js'
import { seedAccounts, type SeedOptions, type SeedResult } from './load-seed.js'

export interface AccountsService {
  addClient(name: string): Promise<Client>
  create(account: NewAccount): Promise<User>
  // Returns the user and how many of its sessions ended.
  changePassword(username: string, password: string): Promise<{ user: User; endedSessions: number }>
  update(username: string, changes: AccountChanges): Promise<{ user: User; endedSessions: number }>
  // Load-test users and sessions (not announced as user_created, one by one).
  seed(options: SeedOptions): Promise<SeedResult>
}

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService
  }
}

export default fp(
  async (fastify) => {
    const { db, passwords, events, revocations } = fastify
    const ownerOfRow = (user: User) => ({ userId: user.id, clientId: user.client_id })
    // A webhook event about the user, staged in the change's transaction when one is wanted.
    const stageUserEvent = async (trx: Transaction, type: 'user.created' | 'user.updated' | 'user.deactivated' | 'password.changed', user: User, extra: Record<string, unknown>, now: number) => {
      await fastify.webhooks.stage(trx, { type, ...ownerOfRow(user), extra }, now)
    }
    fastify.decorate('accounts', {
      addClient: (name) => addClient(db, name),
      async create(account) {
        const user = await createAccount(db, passwords, account, Date.now(), (trx, created) => stageUserEvent(trx, 'user.created', created, {}, created.created_at))
        events.emit('user_created', { ...ownerOfRow(user), username: user.username }, user.created_at)
        return user
      },
      async changePassword(username, password) {
        const now = Date.now()
        const { user, endedSessionIds } = await changePassword(db, passwords, username, password, now, async (trx, user, ended) => {
          await stageSessionsEnded(fastify, trx, ended, ownerOfRow(user), 'password_changed', now)
          await stageUserEvent(trx, 'password.changed', user, { ended_sessions: ended.length }, now)
        })
        revocations.userChanged(user.id)
        sessionsEnded(fastify, endedSessionIds, ownerOfRow(user), 'password_changed', now)
        events.emit('password_changed', { ...ownerOfRow(user), endedSessions: endedSessionIds.length }, now)
        return { user, endedSessions: endedSessionIds.length }
      },
      async update(username, changes) {
        const now = Date.now()
        const { user, endedSessionIds, changed } = await updateAccount(db, username, changes, now, async (trx, user, ended, changed) => {
          await stageSessionsEnded(fastify, trx, ended, ownerOfRow(user), 'account_disabled', now)
          if (changed.length > 0) await stageUserEvent(trx, 'user.updated', user, { changes: changed }, now)
          if (changed.includes('is_active') && changes.isActive === false) await stageUserEvent(trx, 'user.deactivated', user, {}, now)
        })
        revocations.userChanged(user.id)
        sessionsEnded(fastify, endedSessionIds, ownerOfRow(user), 'account_disabled', now)
        if (changed.length > 0) events.emit('user_updated', { ...ownerOfRow(user), changes: changed }, now)
        return { user, endedSessions: endedSessionIds.length }
      },
      seed: (options) => seedAccounts(db, passwords, options),
    } satisfies AccountsService)
  },
  { name: 'accounts', dependencies: ['db', 'passwords', 'sessions', 'audit', 'events', 'webhooks', 'revocations'] },
)
