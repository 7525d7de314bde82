// Keyturn embedded in a server of its own (`server.register(app, { config, prefix })`):
// Keyturn's answers under its prefix, the server's own routes, 404s, error handler and
// @fastify/jwt untouched.
import { fastifyJwt } from '@fastify/jwt'
import Fastify from 'fastify'
import t from 'tap'
import { app as keyturn } from '../app.js'
import { loadConfig, serverOptions } from '../fastify.config.js'
import { freshStore, TEST_ENV } from './helper.js'

t.test('embedded under a prefix beside the server’s own routes, 404s and @fastify/jwt', async (t) => {
  const store = freshStore('sqlite')
  const config = loadConfig({ ...TEST_ENV, KEYTURN_DATABASE_URL: store.url, KEYTURN_DATA_DIR: store.dataDir })
  const server = Fastify(serverOptions(config))
  t.teardown(async () => {
    await server.close()
    await store.cleanup()
  })
  await server.register(fastifyJwt, { secret: 'the shop has a key of its own, 32 bytes or more' })
  server.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'shop: no such page' }))
  server.setErrorHandler((err: Error, _request, reply) => reply.code(418).send({ shop: err.message }))
  server.get('/orders', async (request) => {
    await request.jwtVerify()
    return { orders: [] }
  })
  server.get('/boom', async () => {
    throw new Error('shop error')
  })
  await server.register(keyturn, { config, prefix: '/auth' })
  await server.ready()

  // The shop's own token and routes work as before.
  const shopToken = server.jwt.sign({ shopper: 1 })
  t.equal((await server.inject({ url: '/orders', headers: { authorization: `Bearer ${shopToken}` } })).statusCode, 200)
  t.same((await server.inject('/nowhere')).json(), { error: 'shop: no such page' })
  t.same((await server.inject('/boom')).json(), { shop: 'shop error' }, "the shop's error handler")

  // Keyturn's routes answer under /auth, with Keyturn's bodies.
  t.same((await server.inject('/auth/nowhere')).json(), { detail: 'Not found.' })
  t.same((await server.inject('/auth/api/token/')).json(), { detail: 'Method "GET" not allowed.' })
  const denied = await server.inject({ url: '/auth/api/user/', headers: { authorization: `Bearer ${shopToken}` } })
  t.equal(denied.statusCode, 401, "the shop's token is not Keyturn's")
  t.match(denied.json(), { code: 'token_not_valid' })
  const field = await server.inject({ method: 'POST', url: '/auth/api/token/', payload: {} })
  t.same(field.json(), { username: ['This field is required.'], password: ['This field is required.'] })
})
