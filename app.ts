// The whole service as one Fastify plugin: the HTTP machinery first, then the store and the
// auth concerns (plugins/index.ts), the OpenAPI document, and the autoloaded routes (a folder
// under routes/ is a URL prefix).
import autoload from '@fastify/autoload'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { fileURLToPath } from 'node:url'
import { serverOptions, type KeyturnConfig } from './fastify.config.js'
import services from './plugins/index.js'
import config from './plugins/infra/config.js'
import contentParsers from './plugins/infra/content-parsers.js'
import drain from './plugins/infra/drain.js'
import errorHandler from './plugins/infra/error-handler.js'
import httpHeaders from './plugins/infra/http-headers.js'
import openapi from './plugins/infra/openapi.js'
import validation from './plugins/infra/validation.js'

export interface AppOptions {
  config: KeyturnConfig
}

// Wrapped in fastify-plugin so its decorators (db, tokens, ...) are visible on the instance
// that registers it: the server, a test, or a service that embeds Keyturn.
// Run from source (tsx, node --import tsx), autoload must be told that .ts files load:
// it only detects TypeScript loaders preloaded with --require.
if (import.meta.url.endsWith('.ts')) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

export const app = fp<AppOptions>(async (fastify, opts) => {
  await fastify.register(config, { config: opts.config })
  // The error handler mirrors every route for 405s, so it comes before anything that adds routes.
  await fastify.register(errorHandler)
  await fastify.register(drain)
  await fastify.register(validation)
  await fastify.register(httpHeaders)
  await fastify.register(contentParsers)
  await fastify.register(services)
  await fastify.register(openapi)
  await fastify.register(autoload, {
    dir: fileURLToPath(new URL('./routes', import.meta.url)),
    ignorePattern: /\.(d\.ts|map)$/,
    autoHooks: true,
    cascadeHooks: true,
  })
}, { name: 'keyturn' })

// Builds the app with the server options of fastify.config.ts; server.ts and tests use it.
export async function buildApp(config: KeyturnConfig): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(config))
  await fastify.register(app, { config })
  await fastify.ready()
  return fastify
}
