// Route schemas compile on a route's first use: nothing at startup, once per route, with
// ajv's root coercion and errors as before, a plugin's shared schemas still found, and a
// schema that cannot compile failing only its route, named in the log.
import { Ajv } from 'ajv'
import t from 'tap'
import type { KeyturnPlugin } from '../../../plugins/extensions/load-plugins.js'
import { lazySerializers, lazyValidator } from '../../../plugins/infra/lazy-compile.js'
import { build, post } from '../../helper.js'
import { buildLogged } from '../../logged-app.js'

t.test('a validator compiles on its first call, once, and keeps what Fastify reads off ajv', async (t) => {
  const ajv = new Ajv({ allErrors: true, useDefaults: true })
  let compiles = 0
  const validate = lazyValidator(() => {
    compiles++
    return ajv.compile({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] })
  }, 'POST /x (body)')
  t.equal(compiles, 0, 'nothing compiled until it is used')
  t.ok(validate.schemaEnv, 'Fastify passes the parent object, as it does to ajv')
  t.equal(validate.errors, undefined)
  t.equal(validate({ n: 'one' }), false)
  t.match(validate.errors, [{ keyword: 'type', instancePath: '/n' }], "ajv's errors of that call")
  t.equal(validate({ n: 1 }), true)
  t.equal(compiles, 1, 'compiled once')
})

t.test('a root value is still coerced: Fastify hands the parent to the lazy validator', async (t) => {
  const ajv = new Ajv({ coerceTypes: 'array' })
  const validate = lazyValidator(() => ajv.compile({ type: 'array', items: { type: 'integer' } }), 'GET /x (params)')
  const request: Record<string, unknown> = { params: '5' }
  // As Fastify calls it: the parent object and the property only.
  t.equal(validate(request.params, { parentData: request, parentDataProperty: 'params' } as never), true)
  t.same(request.params, [5])
})

t.test('a serializer compiles on its first call, once, with the shared schemas it was given', async (t) => {
  const compiler = lazySerializers()({ shared: { $id: 'shared', type: 'object', properties: { id: { type: 'integer' } } } })
  const serialize = compiler({ method: 'GET', url: '/x', httpStatus: '200', schema: { $ref: 'shared#' } })
  t.equal(serialize({ id: 7, secret: 'not in the schema' }), '{"id":7}')
  const broken = compiler({ method: 'GET', url: '/broken', httpStatus: '200', schema: { $ref: 'missing#' } })
  t.throws(() => broken({}), /the schema of GET \/broken \(200\) does not compile/)
})

// A plugin's routes, one of whose schemas cannot compile: the app starts, the others answer.
// The shared schema is added in a context of its own: Fastify gives a context that adds
// schemas its default validator compiler, not Keyturn's (DRF's error bodies).
const routes: KeyturnPlugin = async (fastify) => {
  fastify.post(
    '/api/lazy/ok/',
    { schema: { body: { type: 'object', properties: { name: { type: 'string', default: 'world' } } }, response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } } } },
    async (request) => ({ hello: (request.body as { name: string }).name, extra: 'dropped' }),
  )
  await fastify.register(async (shared) => {
    shared.addSchema({ $id: 'greeting', type: 'object', properties: { hello: { type: 'string' } } })
    shared.get('/api/lazy/shared/', { schema: { response: { 200: { $ref: 'greeting#' } } } }, async () => ({ hello: 'there', extra: 'dropped' }))
  })
  fastify.get('/api/lazy/broken/', { schema: { querystring: { type: 'object', properties: { n: { type: 'no-such-type' } } } } }, async () => ({ ok: true }))
}

t.test('through the app: a route validates and serializes on first use, a broken schema fails its route alone', async (t) => {
  const lines: string[] = []
  const app = await buildLogged(t, 'sqlite', 'error', lines, {}, [routes])
  const ok = await post(app, '/api/lazy/ok/', {})
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { hello: 'world' }, "the body's default, and only the schema's fields")
  const bad = await post(app, '/api/lazy/ok/', { name: 5 })
  t.equal(bad.statusCode, 400)
  t.same(bad.json(), { name: ['Not a valid string.'] })
  const shared = await app.inject({ method: 'GET', url: '/api/lazy/shared/' })
  t.same(shared.json(), { hello: 'there' }, "a shared schema's fields")
  const broken = await app.inject({ method: 'GET', url: '/api/lazy/broken/?n=1' })
  t.equal(broken.statusCode, 500)
  t.notMatch(broken.body, /no-such-type/, 'the cause stays out of the answer')
  t.match(lines.join(''), /the schema of GET \/api\/lazy\/broken\/ \(querystring\) does not compile/, 'and is in the log')
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'the other routes answer')
})

t.test("the app's own routes still answer with their schemas' bodies", async (t) => {
  const app = await build(t)
  const res = await post(app, '/api/token/', { username: 'nobody' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { password: ['This field is required.'] })
})
