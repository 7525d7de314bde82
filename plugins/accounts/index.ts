// The `accounts` concern: creating users and clients, changing passwords and a user's
// standing. The `keyturn` command's user commands are these, on the same store and hasher
// as the server's.
import fp from 'fastify-plugin'
import type { Client } from '../users/tables.js'
import type { User } from '../users/tables.js'
import {
  addClient,
  changePassword,
  createAccount,
  seedAccounts,
  updateAccount,
  type AccountChanges,
  type NewAccount,
  type SeedOptions,
} from './accounts.js'

export interface AccountsService {
  addClient(name: string): Promise<Client>
  create(account: NewAccount): Promise<User>
  changePassword(username: string, password: string): Promise<{ user: User; endedSessions: number }>
  update(username: string, changes: AccountChanges): Promise<{ user: User; endedSessions: number }>
  seed(options: SeedOptions): Promise<{ created: number; first: string | undefined; last: string | undefined }>
}

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountsService
  }
}

export default fp(
  async (fastify) => {
    const { db, passwords } = fastify
    fastify.decorate('accounts', {
      addClient: (name) => addClient(db, name),
      create: (account) => createAccount(db, passwords, account),
      changePassword: (username, password) => changePassword(db, passwords, username, password),
      update: (username, changes) => updateAccount(db, username, changes),
      seed: (options) => seedAccounts(db, passwords, options),
    } satisfies AccountsService)
  },
  { name: 'accounts', dependencies: ['db', 'passwords', 'sessions', 'audit'] },
)
