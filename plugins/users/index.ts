// The `users` concern: users and their clients (tenants) in the store, and the staff list.
import fp from 'fastify-plugin'
import type { PageParams } from '../infra/pagination.js'
import type { TenantScope } from './tenancy.js'
import { listUsers, type UserWithClient } from './users-store.js'

export interface UsersService {
  // The users a staff caller may see, by id.
  list(scope: TenantScope, page: PageParams): Promise<{ count: number; rows: UserWithClient[] }>
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
      list: (scope, page) => listUsers(db, scope, page),
    } satisfies UsersService)

    // A fresh store has nobody who can log in: say how to create the first user.
    fastify.addHook('onReady', async () => {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()
      if (Number(row?.n ?? 0) === 0) {
        fastify.log.info(
          'No users yet. Create the first one with: echo "<password>" | npx keyturn createuser --username admin --email admin@example.com --superuser --password-stdin',
        )
      }
    })
  },
  { name: 'users', dependencies: ['db'] },
)
