// The API documentation: the OpenAPI 3 document names every contract route with its request
// and response schemas (errors included) and the Bearer scheme; what the routes really send
// matches what it says; Swagger UI and ReDoc are served without any CDN.
import t from 'tap'
import { Ajv } from 'ajv'
import type { FastifyInstance } from 'fastify'
import { bearer, build, createUser, login, post } from '../../helper.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

interface Operation {
  requestBody?: { content?: Record<string, { schema?: JsonObject }> }
  responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> }>
  security?: Record<string, string[]>[]
}

interface OpenApiDoc {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, JsonObject>; schemas?: Record<string, JsonObject> }
}

interface ContractRoute {
  path: string
  method: 'get' | 'post'
  bearer: boolean
  // required request fields; undefined when the route takes no body
  body?: string[]
  // the keys of the 200 body
  ok: string[]
  errors: string[]
}

const LOGIN_KEYS = ['access', 'refresh', 'user_id', 'username', 'email', 'client_id', 'client_name', 'user', 'session_id']
const PROFILE_KEYS = [
  'id', 'user_id', 'username', 'email', 'first_name', 'last_name', 'client_id', 'client_name',
  'is_active', 'is_staff', 'is_superuser', 'is_manager', 'date_joined', 'last_login', 'profile',
]

// The contract's sections Tokens, Obtain, Refresh, Verify, Blacklist (the blacklist routes
// and /api/logout/), Profile and Diagnostics. Errors: 400 for a bad body, 401 for bad
// credentials or tokens, 429 for login throttling, 503 for a store outage.
const CONTRACT_ROUTES: ContractRoute[] = [
  ...['/api/token/', '/api/auth/token/', '/api/login/', '/api/users/auth/login/', '/api/v1/auth/token/'].map(
    (path): ContractRoute => ({
      path, method: 'post', bearer: false, body: ['username', 'password'], ok: LOGIN_KEYS, errors: ['400', '401', '429', '503'],
    }),
  ),
  ...['/api/token/refresh/', '/api/auth/token/refresh/', '/api/users/auth/refresh/', '/api/v1/auth/token/refresh/'].map(
    (path): ContractRoute => ({
      path, method: 'post', bearer: false, body: ['refresh'], ok: ['access', 'refresh'], errors: ['400', '401', '503'],
    }),
  ),
  ...['/api/token/verify/', '/api/auth/token/verify/', '/api/v1/auth/token/verify/'].map(
    (path): ContractRoute => ({ path, method: 'post', bearer: false, body: ['token'], ok: [], errors: ['400', '401', '503'] }),
  ),
  ...['/api/token/blacklist/', '/api/auth/token/blacklist/'].map(
    (path): ContractRoute => ({ path, method: 'post', bearer: false, body: ['refresh'], ok: [], errors: ['400', '401', '503'] }),
  ),
  { path: '/api/logout/', method: 'post', bearer: false, body: ['refresh'], ok: ['detail'], errors: ['400', '401', '503'] },
  ...['/api/user/', '/api/users/auth/me/', '/api/v1/auth/users/me/'].map(
    (path): ContractRoute => ({ path, method: 'get', bearer: true, ok: PROFILE_KEYS, errors: ['401', '503'] }),
  ),
  { path: '/api/test-auth/', method: 'post', bearer: true, ok: ['message', 'authenticated', 'user'], errors: ['401', '503'] },
  { path: '/api/protected-endpoint/', method: 'get', bearer: true, ok: ['message'], errors: ['401', '503'] },
]

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Inlines every local $ref; throws on one that does not resolve.
function deref(doc: OpenApiDoc, node: Json, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, seen))
  if (!isObject(node)) return node
  const ref = node.$ref
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) throw new Error(`non-local $ref ${ref}`)
    if (seen.includes(ref)) throw new Error(`cyclic $ref ${ref}`)
    let target: unknown = doc
    for (const part of ref.slice(2).split('/')) target = isObject(target) ? target[part] : undefined
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`)
    return deref(doc, target as Json, [...seen, ref])
  }
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(node)) out[k] = deref(doc, v, seen)
  return out
}

function jsonSchemaOf(doc: OpenApiDoc, content: Record<string, { schema?: JsonObject }> | undefined): JsonObject | undefined {
  const schema = content?.['application/json']?.schema
  return schema === undefined ? undefined : (deref(doc, schema) as JsonObject)
}

// Properties a schema names, looking through anyOf/oneOf/allOf.
function propertyNames(schema: Json | undefined): string[] {
  if (!isObject(schema)) return []
  const own = isObject(schema.properties) ? Object.keys(schema.properties) : []
  const nested = (['anyOf', 'oneOf', 'allOf'] as const).flatMap((k) => {
    const list = schema[k]
    return Array.isArray(list) ? list.flatMap((s) => propertyNames(s)) : []
  })
  return [...new Set([...own, ...nested])]
}

async function fetchDoc(app: FastifyInstance): Promise<OpenApiDoc> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/schema/' })
  if (res.statusCode !== 200) throw new Error(`schema: ${res.statusCode}`)
  return res.json<OpenApiDoc>()
}

t.test('the OpenAPI document', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/schema/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const doc = res.json<OpenApiDoc>()

  t.test('is OpenAPI 3 with the Bearer security scheme', async (t) => {
    t.match(doc.openapi, /^3\.\d+\.\d+$/)
    t.type(doc.info.title, 'string')
    t.type(doc.info.version, 'string')
    t.match(doc.components?.securitySchemes?.bearerAuth, { type: 'http', scheme: 'bearer' })
    t.equal(String(doc.components?.securitySchemes?.bearerAuth?.scheme).toLowerCase(), 'bearer')
  })

  t.test('every $ref resolves', async (t) => {
    t.doesNotThrow(() => deref(doc, doc as unknown as Json))
  })

  for (const route of CONTRACT_ROUTES) {
    t.test(`${route.method.toUpperCase()} ${route.path}`, async (t) => {
      const op = doc.paths[route.path]?.[route.method]
      if (!t.ok(op, 'documented')) return
      if (op === undefined) return

      if (route.body) {
        const schema = jsonSchemaOf(doc, op.requestBody?.content)
        if (t.ok(schema, 'JSON request body schema')) {
          t.same([...((schema?.required as string[] | undefined) ?? [])].sort(), [...route.body].sort(), 'required fields')
          for (const field of route.body) t.ok(propertyNames(schema).includes(field), `request property ${field}`)
        }
      }

      const responses = op.responses ?? {}
      const ok = jsonSchemaOf(doc, responses['200']?.content)
      if (t.ok(ok, '200 schema')) {
        const names = propertyNames(ok)
        for (const key of route.ok) t.ok(names.includes(key), `200 property ${key}`)
      }
      for (const status of route.errors) {
        const schema = jsonSchemaOf(doc, responses[status]?.content)
        t.ok(schema, `${status} documented with a schema`)
        if (status === '401' || status === '503') {
          t.ok(propertyNames(schema).includes('detail'), `${status} schema has detail`)
        }
        if (status === '401' && route.bearer) {
          for (const key of ['detail', 'code', 'messages']) {
            t.ok(propertyNames(schema).includes(key), `401 schema has ${key}`)
          }
        }
      }

      const security = op.security ?? []
      if (route.bearer) {
        t.ok(security.some((s) => Array.isArray(s.bearerAuth)), 'Bearer security on the route')
      } else {
        t.notOk(security.some((s) => 'bearerAuth' in s), 'no Bearer security on an unauthenticated route')
      }
    })
  }
})

t.test('what the routes send matches what the document says', async (t) => {
  // Strict rotation, so that a rotated token presented again shows the reuse's 401.
  const app = await build(t, { env: { KEYTURN_ROTATION_GRACE_SECONDS: '0' } })
  const doc = await fetchDoc(app)
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
  await app.db.insertInto('clients').values({ name: 'Company ABC', created_at: Date.now() }).execute()
  await createUser(app, { username: 'docs', clientName: 'Company ABC', expiresAt: Date.now() + 3_600_000 })
  await createUser(app, { username: 'docs2' })

  const check = (label: string, path: string, method: 'get' | 'post', status: number, body: unknown) => {
    const schema = jsonSchemaOf(doc, doc.paths[path]?.[method]?.responses?.[String(status)]?.content)
    if (!t.ok(schema, `${label}: ${status} documented`) || schema === undefined) return
    const validate = ajv.compile(schema)
    t.ok(validate(body), `${label}: ${status} body matches its schema ${JSON.stringify(validate.errors ?? [])}`)
  }

  const loginRes = await post(app, '/api/token/', { username: 'docs', password: 'correct horse battery staple' })
  t.equal(loginRes.statusCode, 200)
  check('login', '/api/token/', 'post', 200, loginRes.json())
  const noClient = await post(app, '/api/token/', { username: 'docs2', password: 'correct horse battery staple' })
  check('login (no client)', '/api/token/', 'post', 200, noClient.json())
  const badLogin = await post(app, '/api/token/', { username: 'docs', password: 'wrong' })
  check('login', '/api/token/', 'post', 401, badLogin.json())
  const fieldErrors = await post(app, '/api/token/', {})
  check('login', '/api/token/', 'post', 400, fieldErrors.json())

  const pair = await login(app, 'docs')
  for (const [path, method] of [
    ['/api/user/', 'get'],
    ['/api/test-auth/', 'post'],
    ['/api/protected-endpoint/', 'get'],
  ] as const) {
    const good = await app.inject({ method: method === 'get' ? 'GET' : 'POST', url: path, headers: bearer(pair.access) })
    t.equal(good.statusCode, 200, path)
    check(path, path, method, 200, good.json())
    const bad = await app.inject({ method: method === 'get' ? 'GET' : 'POST', url: path, headers: bearer('x.y.z') })
    check(path, path, method, 401, bad.json())
  }

  const verify = await post(app, '/api/token/verify/', { token: pair.access })
  check('verify', '/api/token/verify/', 'post', 200, verify.json())
  const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
  check('refresh', '/api/token/refresh/', 'post', 200, refreshed.json())
  const reused = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
  check('refresh reuse', '/api/token/refresh/', 'post', 401, reused.json())

  const p2 = await login(app, 'docs')
  const blacklisted = await post(app, '/api/token/blacklist/', { refresh: p2.refresh })
  check('blacklist', '/api/token/blacklist/', 'post', 200, blacklisted.json())
  const p3 = await login(app, 'docs')
  const logout = await post(app, '/api/logout/', { refresh: p3.refresh })
  check('logout', '/api/logout/', 'post', 200, logout.json())
})

t.test('Swagger UI', async (t) => {
  const app = await build(t)
  const doc = await fetchDoc(app)
  for (const url of ['/api/v1/schema/swagger-ui/', '/api/v1/schema/swagger-ui']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.match(res.headers['content-type'], /^text\/html/, url)
    t.match(res.body, /swagger-ui/i)
    t.notMatch(res.body, /https?:\/\//, 'no external URL in the page')
  }
  // Every script and stylesheet of the page is served from here.
  const page = (await app.inject({ method: 'GET', url: '/api/v1/schema/swagger-ui/' })).body
  const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1] ?? '', 'http://x/api/v1/schema/swagger-ui/').pathname)
  t.ok(assets.length >= 3, 'the page loads assets')
  for (const asset of assets) t.equal((await app.inject({ method: 'GET', url: asset })).statusCode, 200, asset)

  // The UI reads this service's document (the one with bearerAuth), and keeps the token the
  // Authorize dialog was given.
  const init = await app.inject({ method: 'GET', url: '/api/v1/schema/swagger-ui/static/swagger-initializer.js' })
  t.equal(init.statusCode, 200)
  t.match(init.body, /"persistAuthorization":\s*true/)
  const json = await app.inject({ method: 'GET', url: '/api/v1/schema/swagger-ui/json' })
  t.equal(json.statusCode, 200)
  t.same(json.json(), doc, 'the document Swagger UI loads is the schema document')
})

t.test('ReDoc, with no CDN', async (t) => {
  const app = await build(t)
  for (const url of ['/api/v1/schema/redoc/', '/api/v1/schema/redoc']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.match(res.headers['content-type'], /^text\/html/, url)
    t.match(res.body, /<redoc[^>]+spec-url="\/api\/v1\/schema\/"/, 'reads the schema document')
    t.match(res.body, /<script[^>]+src="\/api\/v1\/schema\/redoc\/redoc\.standalone\.js"/, 'loads the local bundle')
    t.notMatch(res.body, /https?:\/\/|src="\/\//, 'no external URL in the page')
  }
  const js = await app.inject({ method: 'GET', url: '/api/v1/schema/redoc/redoc.standalone.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /^(application|text)\/javascript/)
  t.ok(js.rawPayload.length > 100_000, 'the real bundle')
  t.notMatch(js.body.slice(0, 200), /<html|<!DOCTYPE/i)
})
