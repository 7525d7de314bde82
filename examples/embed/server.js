// @ts-check
// A shop's own Fastify server with Keyturn mounted under /auth: Keyturn's routes answer there
// with their own errors, parsers and hooks, the shop's own routes keep the shop's, and a
// plugin handed to Keyturn (orders) sits inside Keyturn, where `fastify.keyturn` is.
import Fastify from 'fastify'
import { app as keyturn, loadConfig, serverOptions } from 'keyturn'

/** @type {import('keyturn').KeyturnPlugin} */
async function orders(fastify) {
  fastify.get('/orders/', { onRequest: fastify.keyturn.authenticate }, async (request) => ({
    customer: request.user.username,
    orders: [],
  }))
}

export async function buildServer(env = process.env) {
  const config = loadConfig(env)
  // Keyturn's server options: its logger redaction, trusted proxies, body limit, and URLs that
  // answer with or without their final slash. The shop may choose its own instead.
  const server = Fastify(serverOptions(config))
  server.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no page at ${request.url}` }))
  server.get('/hello', async () => ({ hello: 'from the shop' }))
  await server.register(keyturn, { config, plugins: [orders], prefix: '/auth' })
  return server
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await buildServer()
  await server.listen({ port: Number(process.env.PORT ?? 3000) })
}
