// Boots what the server runs, without HTTP: the configuration, the store (migrated), every
// concern's service (plugins/index.ts) and the plugins KEYTURN_PLUGINS names, so a command
// takes exactly the server's settings (KEYTURN_ARGON2_*, the pool, the SQLite pragmas) and
// flows, and its events reach the same handlers. Closed (handlers done) when the command ends.
//
// What it boots is imported here, when a command runs, not when the command line is read: help,
// the version and a usage error answer without loading the service (0.1 s, not 0.7).
import type { FastifyInstance } from 'fastify'

export async function withKeyturn<T>(run: (keyturn: FastifyInstance) => Promise<T>): Promise<T> {
  const [{ default: Fastify }, { default: pino }, { keyturnLogger, loadConfig }, { registerPlugins }, { default: services }, { default: config }] = await Promise.all([
    import('fastify'),
    import('pino'),
    import('../fastify.config.js'),
    import('../plugins/extensions/index.js'),
    import('../plugins/index.js'),
    import('../plugins/infra/config.js'),
  ])
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
