// The OpenAPI document as client generators read it: every operation has a unique operationId
// of its own (a Keyturn route without one is caught here), shared schemas are named
// components, it lints clean with Redocly (redocly.yaml), and the client openapi-typescript
// generates from it type-checks a real login, profile and session revoke (and refuses a wrong
// use), then does them against the running server.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import createClient from 'openapi-fetch'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { fallbackOperationId } from '../../../plugins/infra/openapi-operations.js'
import whoamiRoute from '../../../examples/plugins/whoami-route.js'
import { build, createUser, login, PASSWORD } from '../../helper.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']

interface Operation {
  operationId?: string
  description?: string
  requestBody?: unknown
  responses?: unknown
  parameters?: { name: string; in: string; schema?: { type?: string } }[]
}
interface Doc {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown> }
}

function operations(doc: Doc): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  )
}

// What a generated client does, typed by the generated `paths`. `create` is openapi-fetch's
// createClient, handed in so this file needs no node_modules of its own at run time.
const GOOD_CLIENT = `
import type createClient from 'openapi-fetch'
import type { paths } from './schema'

export async function run(create: typeof createClient, baseUrl: string, username: string, password: string, revokeId: number) {
  const client = create<paths>({ baseUrl })
  const { data: pair, error } = await client.POST('/api/token/', { body: { username, password } })
  if (pair === undefined) throw new Error('login failed: ' + JSON.stringify(error))
  const access: string = pair.access
  const refresh: string = pair.refresh
  const headers = { Authorization: 'Bearer ' + access }
  const me = await client.GET('/api/user/', { headers })
  if (me.data === undefined) throw new Error('profile: ' + me.response.status)
  const name: string = me.data.username
  const revoked = await client.POST('/api/v1/auth/sessions/{id}/revoke/', { params: { path: { id: revokeId } }, headers })
  if (revoked.data === undefined) throw new Error('revoke: ' + revoked.response.status)
  const id: number = revoked.data.id
  return { access, refresh, name, id, sessionId: pair.session_id }
}
`

// The same calls, wrong: each marked line must fail to type-check.
const BAD_CLIENT = `
import type createClient from 'openapi-fetch'
import type { paths } from './schema'

export async function run(create: typeof createClient) {
  const client = create<paths>({ baseUrl: 'http://127.0.0.1' })
  const { data } = await client.POST('/api/token/', { body: { user: 'alice', password: 'x' } }) // WRONG body field
  const token: string | undefined = data?.access_token // WRONG no such property
  await client.POST('/api/v1/auth/sessions/{id}/revoke/', { params: { path: { id: 'abc' } } }) // WRONG id is an integer
  return token
}
`

// Type-checks both files in one program; the diagnostics of each, by file.
function typeCheck(dir: string, files: string[]): Map<string, ts.Diagnostic[]> {
  const program = ts.createProgram(
    files.map((f) => join(dir, f)),
    {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      paths: { 'openapi-fetch': [join(ROOT, 'node_modules/openapi-fetch')] },
    },
  )
  const byFile = new Map<string, ts.Diagnostic[]>(files.map((f) => [f, []]))
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file ? d.file.fileName.slice(dir.length + 1) : '(global)'
    byFile.set(name, [...(byFile.get(name) ?? []), d])
  }
  return byFile
}

function lineOf(d: ts.Diagnostic): number {
  return d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1
}

t.test('the OpenAPI document for client generators', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ method: 'GET', url: '/api/v1/schema/' })).json<Doc>()
  const ops = operations(doc)
  t.ok(ops.length > 30, 'the operations are there')

  t.test('every operation has its own explicit, camelCase operationId', async (t) => {
    const seen = new Map<string, string>()
    for (const { method, path, op } of ops) {
      const label = `${method.toUpperCase()} ${path}`
      const id = op.operationId ?? ''
      t.match(id, /^[a-z][A-Za-z0-9]*$/, `${label}: ${id}`)
      // The fallback is for plugins' routes: a Keyturn route names its own operation.
      t.not(id, fallbackOperationId(method, path), `${label} sets its operationId (in its route schema)`)
      t.notOk(seen.has(id), `${label}: ${id} is not also ${seen.get(id) ?? 'another operation'}`)
      seen.set(id, label)
    }
    t.equal(doc.paths['/api/token/']?.post?.operationId, 'obtainTokenPair')
    t.equal(doc.paths['/api/user/']?.get?.operationId, 'getCurrentUser')
    t.equal(doc.paths['/api/v1/auth/sessions/{id}/revoke/']?.post?.operationId, 'revokeSession')
  })

  t.test("an alias has its canonical operation's schemas and says whose alias it is", async (t) => {
    const canonical = doc.paths['/api/token/']?.post
    for (const path of ['/api/auth/token/', '/api/login/', '/api/users/auth/login/', '/api/v1/auth/token/']) {
      const alias = doc.paths[path]?.post
      t.same(alias?.requestBody, canonical?.requestBody, `${path} request`)
      t.same(alias?.responses, canonical?.responses, `${path} responses`)
      t.match(alias?.description, /^Alias of `POST \/api\/token\/`\./, `${path} description`)
    }
    t.match(canonical?.requestBody, { content: { 'application/json': { schema: { $ref: '#/components/schemas/LoginRequest' } } } })
    t.notMatch(canonical?.description ?? '', /Alias/, 'the canonical operation is no alias')
  })

  t.test('shared schemas are named components; row ids are integers', async (t) => {
    const names = Object.keys(doc.components.schemas)
    t.same(names.filter((n) => /^def-\d+$/.test(n)), [], 'no def-N')
    for (const name of ['LoginRequest', 'LoginResponse', 'Profile', 'Session', 'AuthError', 'Detail']) t.ok(names.includes(name), name)
    for (const { method, path, op } of ops.filter((o) => o.path.includes('{id}'))) {
      t.equal(op.parameters?.find((p) => p.in === 'path' && p.name === 'id')?.schema?.type, 'integer', `${method} ${path}`)
    }
  })

  const dir = mkdtempSync(join(tmpdir(), 'keyturn-openapi-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc))

  t.test("Redocly's recommended rules (redocly.yaml) pass", async (t) => {
    const redocly = join(ROOT, 'node_modules/.bin/redocly')
    const args = ['lint', join(dir, 'openapi.json'), '--config', join(ROOT, 'redocly.yaml'), '--format=json']
    // Offline: no usage telemetry, no update check.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
    const { stdout } = await promisify(execFile)(redocly, args, { env, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] }
    const problems = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`)
    t.same(report.totals, { ...report.totals, errors: 0, warnings: 0 }, 'no errors, no warnings')
    t.same(problems, [], 'no problems')
  })

  t.test('a typed client: generated, type-checked, and run against the server', async (t) => {
    const schema = astToString(await openapiTS(pathToFileURL(join(dir, 'openapi.json'))))
    t.notMatch(schema, /operations\s*=\s*Record<string, never>/, 'operations are typed')
    t.match(schema, /obtainTokenPair:/)
    writeFileSync(join(dir, 'schema.d.ts'), schema)
    writeFileSync(join(dir, 'good.ts'), GOOD_CLIENT)
    writeFileSync(join(dir, 'bad.ts'), BAD_CLIENT)

    const diagnostics = typeCheck(dir, ['good.ts', 'bad.ts'])
    const text = (ds: ts.Diagnostic[]) => ds.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    t.same(text(diagnostics.get('(global)') ?? []), [], 'no global errors')
    t.same(text(diagnostics.get('good.ts') ?? []), [], 'the right use type-checks')
    const wrongLines = BAD_CLIENT.split('\n').flatMap((line, i) => (line.includes('// WRONG') ? [i] : []))
    const failed = new Set((diagnostics.get('bad.ts') ?? []).map(lineOf))
    for (const line of wrongLines) t.ok(failed.has(line), `refused: ${BAD_CLIENT.split('\n')[line]?.trim()}`)

    await createUser(app, { username: 'typed' })
    const other = await login(app, 'typed')
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    const { run } = (await import(pathToFileURL(join(dir, 'good.ts')).href)) as {
      run: (create: typeof createClient, baseUrl: string, username: string, password: string, revokeId: number) => Promise<{ name: string; id: number; access: string }>
    }
    const result = await run(createClient, address, 'typed', PASSWORD, other.session_id)
    t.equal(result.name, 'typed', 'logged in and read the profile')
    t.equal(result.id, other.session_id, 'revoked the other session')
    const refused = await app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh: other.refresh } })
    t.equal(refused.statusCode, 401, "the revoked session's refresh token no longer works")
  })
})

t.test("a plugin's route without an operationId is still in the document, named by its method and URL", async (t) => {
  const app = await build(t, { plugins: [whoamiRoute] })
  const doc = (await app.inject({ method: 'GET', url: '/api/v1/schema/' })).json<Doc>()
  t.equal(doc.paths['/api/whoami/']?.get?.operationId, 'getApiWhoami')
})
