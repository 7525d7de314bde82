// The `users` concern: users and their clients (tenants) in the store, and the staff list.
import fp from 'fastify-plugin'
import type { Cursor, KeysetPage } from '../infra/keyset.js'
import type { PageParams } from '../infra/pagination.js'
import type { TenantScope } from './tenancy.js'
import { countUsers, findUserForStaff, listUsers, usersAfter, type UserFilter } from './user-listing.js'
import type { UserWithClient } from './users-store.js'

export interface UsersService {
  // The users a staff caller may see, by id.
  list(filter: UserFilter, page: PageParams): Promise<{ count: number; rows: UserWithClient[] }>
  // The same listing by keyset: the page after (or before) a cursor.
  after(filter: UserFilter, cursor: Cursor, limit: number): Promise<KeysetPage<UserWithClient>>
  count(filter: UserFilter): Promise<number>
  // One user the scope may see; undefined otherwise, as for a missing one.
  find(scope: TenantScope, id: number): Promise<UserWithClient | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    users: UsersService
  }
}

export default fp(
  async (fastify) => {
    const { db } = fastify
    fastify.decorate('users', {
      list: (filter, page) => listUsers(db, filter, page),
      after: (filter, cursor, limit) => usersAfter(db, filter, cursor, limit),
      count: (filter) => countUsers(db, filter),
      find: (scope, id) => findUserForStaff(db, scope, id),
    } satisfies UsersService)

    // A fresh store has nobody who can log in: say how to create the first user.
    fastify.addHook('onReady', async () => {
      const anyone = await db.selectFrom('users').select('id').limit(1).executeTakeFirst()
      if (anyone === undefined) {
        fastify.log.info(
          'No users yet. Create the first one with: echo "<password>" | npx keyturn createuser --username admin --email admin@example.com --superuser --password-stdin',
        )
      }
    })
  },
  { name: 'users', dependencies: ['db'] },
)
