// The app with the production server options, whose log lines go to `lines`. buildApp()
// takes no logger, so this composes the same pieces: serverOptions() plus the exported plugin.
import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import fp from 'fastify-plugin'
import { app as keyturn } from '../app.js'
import type { KeyturnPlugin } from '../plugins/extensions/load-plugins.js'
import { loadConfig, standaloneServerOptions } from '../fastify.config.js'
import { freshStore, TEST_ENV, type StoreName } from './helper.js'

type Teardown = Pick<Test, 'teardown'>

export async function buildLogged(
  t: Teardown,
  store: StoreName,
  level: string,
  lines: string[],
  env: Record<string, string> = {},
  plugins: KeyturnPlugin[] = [],
): Promise<FastifyInstance> {
  const s = freshStore(store)
  const config = loadConfig({ ...TEST_ENV, LOG_LEVEL: level, KEYTURN_DATABASE_URL: s.url, KEYTURN_DATA_DIR: s.dataDir, ...env })
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(chunk.toString())
      callback()
    },
  })
  const fastify = Fastify(standaloneServerOptions(config, stream))
  try {
    // fastify-plugin, as buildApp does: the tests reach the decorators (db, tokens, ...).
    await fastify.register(fp<{ config: typeof config; plugins: KeyturnPlugin[] }>((f, o) => keyturn(f, o)), { config, plugins })
    await fastify.ready()
  } catch (err) {
    await fastify.close()
    await s.cleanup()
    throw err
  }
  t.teardown(async () => {
    await fastify.close()
    await s.cleanup()
  })
  return fastify
}

// Neither a whole token nor its signature (what makes a token usable) is in the log.
export function expectNotLogged(t: Pick<Test, 'notOk'>, lines: string[], secrets: string[]): void {
  const text = lines.join('')
  for (const secret of secrets) {
    t.notOk(text.includes(secret), `not in the log: ${secret.slice(0, 12)}...`)
    const parts = secret.split('.')
    const signature = parts.length === 3 ? (parts[2] ?? '') : ''
    if (signature.length > 0) t.notOk(text.includes(signature), `no token signature in the log: ${secret.slice(0, 12)}...`)
  }
}
