import fp from 'fastify-plugin'

// A fresh store has nobody who can log in: say how to create the first user.
export default fp(
  async (fastify) => {
    fastify.addHook('onReady', async () => {
      const row = await fastify.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()
      if (Number(row?.n ?? 0) === 0) {
        fastify.log.info(
          'No users yet. Create the first one with: echo "<password>" | npx keyturn createuser --username admin --email admin@example.com --superuser --password-stdin',
        )
      }
    })
  },
  { name: 'first-run-hint', dependencies: ['db'] },
)
