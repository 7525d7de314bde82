// Starts Keyturn: reads the environment, builds the app, listens, and closes gracefully on
// SIGINT/SIGTERM (in-flight requests finish, new ones get 503, the store closes last).
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './fastify.config.js'

const DRAIN_MS = 10_000

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    process.stderr.write(`keyturn: ${(err as Error).message}\n`)
    process.exit(1)
  }
  const fastify = await buildApp(config)
  closeWithGrace({ delay: DRAIN_MS }, async ({ signal, err }) => {
    if (err) fastify.log.error({ err }, 'closing after an error')
    else fastify.log.info({ signal }, 'closing')
    await fastify.close()
  })
  await fastify.listen({ host: config.HOST, port: config.PORT })
}

main().catch((err: unknown) => {
  process.stderr.write(`keyturn: failed to start: ${(err as Error).message}\n`)
  process.exit(1)
})
