// /admin/assets/: the console's stylesheet, served by Keyturn itself (no CDN), open without
// signing in (the sign-in page uses it).
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { join } from 'node:path'
import { CONSOLE_FILES } from '../../../plugins/console/console-context.js'

const assets: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('onRoute', (route) => {
    route.config = { ...route.config, consolePublic: true }
  })
  await fastify.register(fastifyStatic, {
    root: join(CONSOLE_FILES, 'assets'),
    prefix: '/',
    decorateReply: false,
    index: false,
    schemaHide: true,
    // Assets change with releases; a day's cache, revalidated by ETag.
    cacheControl: true,
    maxAge: '1d',
  })
}

export default assets
