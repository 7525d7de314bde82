// The `passwords` concern: argon2id hashing at the configured cost, for login and accounts.
import fp from 'fastify-plugin'
import { PasswordHasher } from './password-hasher.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: PasswordHasher
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify
    fastify.decorate(
      'passwords',
      new PasswordHasher({
        memoryCost: config.KEYTURN_ARGON2_MEMORY_KIB,
        timeCost: config.KEYTURN_ARGON2_TIME_COST,
        parallelism: config.KEYTURN_ARGON2_PARALLELISM,
      }, config.KEYTURN_ARGON2_CONCURRENCY || undefined),
    )
  },
  { name: 'passwords', dependencies: ['config'] },
)
