// The whole service as one Fastify plugin: infrastructure first, then the auth plugins,
// then the autoloaded routes (a folder under routes/ is a URL prefix).
import autoload from '@fastify/autoload'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { fileURLToPath } from 'node:url'
import { serverOptions, type KeyturnConfig } from './fastify.config.js'
import audit from './plugins/audit.js'
import authenticate from './plugins/authenticate.js'
import config from './plugins/config.js'
import contentParsers from './plugins/content-parsers.js'
import db from './plugins/db.js'
import drain from './plugins/drain.js'
import errors from './plugins/errors.js'
import firstRunHint from './plugins/first-run-hint.js'
import httpHeaders from './plugins/http-headers.js'
import openapi from './plugins/openapi.js'
import passwords from './plugins/passwords.js'
import rateLimit from './plugins/rate-limit.js'
import revocation from './plugins/revocation.js'
import tokens from './plugins/tokens.js'
import validation from './plugins/validation.js'

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
  // errors mirrors every route for 405s, so it comes before anything that adds routes.
  await fastify.register(errors)
  await fastify.register(drain)
  await fastify.register(validation)
  await fastify.register(httpHeaders)
  await fastify.register(contentParsers)
  await fastify.register(rateLimit)
  await fastify.register(db)
  await fastify.register(audit)
  await fastify.register(passwords)
  await fastify.register(tokens)
  await fastify.register(revocation)
  await fastify.register(authenticate)
  await fastify.register(openapi)
  await fastify.register(firstRunHint)
  await fastify.register(autoload, {
    dir: fileURLToPath(new URL('./routes', import.meta.url)),
    ignorePattern: /\.(d\.ts|map)$/,
  })
}, { name: 'keyturn' })

// Builds the app with the server options of fastify.config.ts; server.ts and tests use it.
export async function buildApp(config: KeyturnConfig): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(config))
  await fastify.register(app, { config })
  await fastify.ready()
  return fastify
}
