// Boots what the server runs, without HTTP: the configuration, the store (migrated), every
// concern's service (plugins/index.ts) and the plugins KEYTURN_PLUGINS names, so a command
// takes exactly the server's settings (KEYTURN_ARGON2_*, the pool, the SQLite pragmas) and
// flows, and its events reach the same handlers. Closed (handlers done) when the command ends.
import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import { keyturnLogger, loadConfig } from '../fastify.config.js'
import { registerPlugins } from '../plugins/extensions/index.js'
import services from '../plugins/index.js'
import config from '../plugins/infra/config.js'

export async function withKeyturn<T>(run: (keyturn: FastifyInstance) => Promise<T>): Promise<T> {
  const settings = loadConfig()
  // Warnings and errors (a plugin's failing event handler, Redis away) on standard error;
  // standard output is the command's own.
  const level = ['error', 'fatal', 'silent'].includes(settings.LOG_LEVEL) ? settings.LOG_LEVEL : 'warn'
  const keyturn = Fastify({ loggerInstance: keyturnLogger({ ...settings, LOG_LEVEL: level }, pino.destination({ dest: 2, sync: true })) })
  try {
    await keyturn.register(config, { config: settings })
    await keyturn.register(services, { onMigration: (name) => console.log(`applied migration ${name}`) })
    await registerPlugins(keyturn, settings)
    await keyturn.ready()
    return await run(keyturn)
  } finally {
    await keyturn.close()
  }
}
