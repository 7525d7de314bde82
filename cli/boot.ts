// Boots what the server runs, without HTTP: the configuration, the store (migrated) and every
// concern's service (plugins/index.ts), so a command takes exactly the server's settings
// (KEYTURN_ARGON2_*, the pool, the SQLite pragmas) and flows. Closed when the command ends.
import Fastify, { type FastifyInstance } from 'fastify'
import { loadConfig } from '../fastify.config.js'
import services from '../plugins/index.js'
import config from '../plugins/infra/config.js'

export async function withKeyturn<T>(run: (keyturn: FastifyInstance) => Promise<T>): Promise<T> {
  const keyturn = Fastify({ logger: false })
  try {
    await keyturn.register(config, { config: loadConfig() })
    await keyturn.register(services, { onMigration: (name) => console.log(`applied migration ${name}`) })
    await keyturn.ready()
    return await run(keyturn)
  } finally {
    await keyturn.close()
  }
}
