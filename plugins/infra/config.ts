import fp from 'fastify-plugin'
import type { KeyturnConfig } from '../../fastify.config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: KeyturnConfig
  }
}

// The validated environment, passed in by whoever builds the app (server.ts or a test).
export default fp<{ config: KeyturnConfig }>(
  async (fastify, opts) => {
    fastify.decorate('config', opts.config)
  },
  { name: 'config' },
)
