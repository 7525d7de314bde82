// The whole service as one Fastify plugin: the HTTP machinery first, then the store and the
// auth concerns (plugins/index.ts), the OpenAPI document, the autoloaded routes (a folder
// under routes/ is a URL prefix), and last the plugins of Keyturn's users (KEYTURN_PLUGINS,
// and those an embedding service hands over).
import autoload from '@fastify/autoload'
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { fileURLToPath } from 'node:url'
import { standaloneServerOptions, type KeyturnConfig } from './fastify.config.js'
import { registerPlugins } from './plugins/extensions/index.js'
import type { KeyturnPlugin } from './plugins/extensions/load-plugins.js'
import services from './plugins/index.js'
import accessLog from './plugins/infra/access-log.js'
import config from './plugins/infra/config.js'
import contentParsers from './plugins/infra/content-parsers.js'
import drain from './plugins/infra/drain.js'
import errorHandler from './plugins/infra/error-handler.js'
import httpHeaders from './plugins/infra/http-headers.js'
import metrics from './plugins/metrics/index.js'
import openapi from './plugins/infra/openapi.js'
import validation from './plugins/infra/validation.js'

export interface AppOptions {
  config: KeyturnConfig
  // Plugins of your own, registered like those KEYTURN_PLUGINS names (after them).
  plugins?: KeyturnPlugin[]
}

// Run from source (tsx, node --import tsx), autoload must be told that .ts files load:
// it only detects TypeScript loaders preloaded with --require.
if (import.meta.url.endsWith('.ts')) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

async function keyturn(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(config, { config: opts.config })
  // The error handler mirrors every route for 405s, so it comes before anything that adds routes.
  await fastify.register(errorHandler)
  await fastify.register(drain)
  await fastify.register(validation)
  await fastify.register(httpHeaders)
  await fastify.register(accessLog)
  await fastify.register(contentParsers)
  await fastify.register(services)
  // Its request histogram hook must be in place before the routes.
  await fastify.register(metrics)
  await fastify.register(openapi)
  await fastify.register(autoload, {
    dir: fileURLToPath(new URL('./routes', import.meta.url)),
    ignorePattern: /\.(d\.ts|map)$/,
    autoHooks: true,
    cascadeHooks: true,
  })
  await registerPlugins(fastify, opts.config, opts.plugins)
}

// For embedding: `await server.register(app, { config, plugins })`. Encapsulated, so Keyturn's
// error handler, parsers and hooks stay with Keyturn's routes and the embedder's keep theirs.
export const app: FastifyPluginAsync<AppOptions> = Object.assign(keyturn, { [Symbol.for('fastify.display-name')]: 'keyturn' })

// Keyturn as the whole server (server.ts, the tests): its decorators (db, tokens, ...) on the
// server itself. A function of its own: fastify-plugin marks the function it is given.
const standalone = fp<AppOptions>((fastify, opts) => keyturn(fastify, opts), { name: 'keyturn' })

// Builds the app with the server options of fastify.config.ts; server.ts and tests use it.
export async function buildApp(config: KeyturnConfig, options: Omit<AppOptions, 'config'> = {}): Promise<FastifyInstance> {
  const fastify = Fastify(standaloneServerOptions(config))
  await fastify.register(standalone, { config, ...options })
  await fastify.ready()
  return fastify
}
