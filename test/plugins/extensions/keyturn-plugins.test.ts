// The extension contract, with the shipped example plugins: loaded through KEYTURN_PLUGINS,
// a claim reaches the access token at login and survives refresh; a plugin's route enforces
// authentication and revocation and is in the OpenAPI document; a plugin that fails to load,
// or adds a reserved claim, stops the start with a message naming it.
import t from 'tap'
import { join } from 'node:path'
import { ChildTracker, childEnv, freePort, ROOT } from '../../child-processes.js'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { importPlugin } from '../../../plugins/extensions/load-plugins.js'
import { buildLogged } from '../../logged-app.js'
import { bearer, build, claimsOf, createUser, freshStore, login, post, stores, TEST_ENV } from '../../helper.js'

const TIER = join(ROOT, 'examples/plugins/tenant-tier.js')
const WHOAMI = join(ROOT, 'examples/plugins/whoami-route.js')
const TIERS = JSON.stringify({ 'Company ABC': 'gold' })

t.before(() => {
  process.env.EXAMPLE_TENANT_TIERS = TIERS
})

for (const store of stores()) {
  t.test(`the example plugins through KEYTURN_PLUGINS (${store})`, async (t) => {
    const app = await build(t, { store, env: { KEYTURN_PLUGINS: `${TIER},${WHOAMI}` } })
    const client = await app.accounts.addClient('Company ABC')
    await createUser(app, { username: 'alice', clientName: client.name })
    await createUser(app, { username: 'bob' })

    const pair = await login(app, 'alice')
    t.equal(claimsOf(pair.access).tier, 'gold', 'the claim is in the access token after login')
    t.equal(claimsOf(pair.refresh).tier, 'gold', 'and in the refresh token')
    t.equal(claimsOf((await login(app, 'bob')).access).tier, 'free', 'a user of no listed client')

    const refreshed = (await post(app, '/api/token/refresh/', { refresh: pair.refresh })).json<{ access: string; refresh: string }>()
    t.equal(claimsOf(refreshed.access).tier, 'gold', 'the claim is still there after a refresh')
    t.equal(claimsOf(refreshed.refresh).tier, 'gold', 'in the new refresh token too')
    const again = (await post(app, '/api/token/refresh/', { refresh: refreshed.refresh })).json<{ access: string; refresh: string }>()
    t.equal(claimsOf(again.access).tier, 'gold', 'and after the next one')

    const whoami = (access?: string) => app.inject({ url: '/api/whoami/', headers: access ? bearer(access) : {} })
    const anonymous = await whoami()
    t.equal(anonymous.statusCode, 401, 'the route without a token')
    t.same(anonymous.json(), { detail: 'Authentication credentials were not provided.' })
    const me = await whoami(refreshed.access)
    t.equal(me.statusCode, 200, 'with one')
    t.match(me.json(), { username: 'alice', tier: 'gold', client_id: client.id, session_id: pair.session_id })

    const latest = (await post(app, '/api/token/refresh/', { refresh: again.refresh })).json<{ refresh: string }>()
    t.equal((await post(app, '/api/logout/', { refresh: latest.refresh })).statusCode, 200)
    const after = await whoami(refreshed.access)
    t.equal(after.statusCode, 401, "refused at once after the session's logout")
    t.match(after.json(), { code: 'token_not_valid', messages: [{ message: 'Token is blacklisted' }] })

    const doc = (await app.inject('/api/v1/schema/')).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>> }>()
    const route = doc.paths['/api/whoami/']?.get
    t.ok(route, 'the route is in the OpenAPI document')
    t.ok(route?.responses['200'], 'with its response schema')
    t.same(route?.security, [{ bearerAuth: [] }])
  })
}

t.test('a plugin that cannot be loaded, exports no plugin, throws, or adds a reserved claim stops the start, named', async (t) => {
  const dir = freshStore('sqlite')
  t.teardown(dir.cleanup)
  const write = async (name: string, source: string) => {
    const path = join(dir.dataDir, name)
    writeFileSync(path, source)
    return path
  }
  const cases: [string, string][] = [
    [join(dir.dataDir, 'missing.js'), 'could not be loaded'],
    [await write('not-a-plugin.js', 'export default 42\n'), 'does not export a Fastify plugin'],
    [await write('throws.js', "export default async () => { throw new Error('no licence key') }\n"), 'no licence key'],
    [await write('reserved.js', "export default async (f) => { f.keyturn.claims.add(() => ({ sub: 'x' }), { names: ['tier', 'sub'] }) }\n"), 'claim "sub" is reserved'],
    [await write('unnamed.js', "export default async (f) => { f.keyturn.claims.add(() => ({ tier: 'x' }), { onRefresh: true }) }\n"), 'with onRefresh must list its names'],
  ]
  for (const [path, message] of cases) {
    await t.rejects(build(t, { env: { KEYTURN_PLUGINS: path } }), { message: new RegExp(`plugin ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*${message}`) }, message)
  }
})

t.test('the event-log example logs logins, logouts and reuses', async (t) => {
  const lines: string[] = []
  const app = await buildLogged(t, 'sqlite', 'info', lines, { KEYTURN_PLUGINS: join(ROOT, 'examples/plugins/event-log.js') })
  await createUser(app, { username: 'gus' })
  const pair = await login(app, 'gus')
  await post(app, '/api/logout/', { refresh: pair.refresh })
  await new Promise((resolve) => setTimeout(resolve, 50))
  const text = lines.join('')
  t.match(text, /"sessionId":\d+[^\n]*"msg":"user logged in"/)
  t.match(text, /"everywhere":false[^\n]*"msg":"user logged out"/)
})

// The keyturn command boots the same services and plugins: its changes reach their handlers.
t.test('the keyturn command emits its events to the plugins KEYTURN_PLUGINS names', async (t) => {
  const procs = new ChildTracker(t)
  const dir = freshStore('sqlite')
  t.teardown(dir.cleanup)
  const out = join(dir.dataDir, 'events.jsonl')
  const plugin = join(dir.dataDir, 'record-events.js')
  writeFileSync(
    plugin,
    `import { appendFileSync } from 'node:fs'
export default async (fastify) => {
  for (const type of ['user_created', 'password_changed', 'user_updated']) {
    fastify.keyturn.events.on(type, (e) => appendFileSync(${JSON.stringify(out)}, JSON.stringify(e) + '\\n'))
  }
}
`,
  )
  const env = childEnv({ NODE_ENV: 'test', KEYTURN_DATABASE_URL: dir.url, KEYTURN_DATA_DIR: dir.dataDir, KEYTURN_ARGON2_MEMORY_KIB: '1024', KEYTURN_ARGON2_TIME_COST: '1', KEYTURN_PLUGINS: plugin })
  t.equal((await procs.run('cli/index.ts', ['createuser', '--username', 'hana', '--password-stdin'], env, 'pw one\n')).code, 0)
  t.equal((await procs.run('cli/index.ts', ['changepassword', '--username', 'hana', '--password-stdin'], env, 'pw two\n')).code, 0)
  t.equal((await procs.run('cli/index.ts', ['updateuser', '--username', 'hana', '--staff'], env)).code, 0)
  const events = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
  t.match(events, [
    { type: 'user_created', username: 'hana' },
    { type: 'password_changed', endedSessions: 0 },
    { type: 'user_updated', changes: ['is_staff'] },
  ])
  t.notOk(readFileSync(out, 'utf8').includes('pw '), 'no password in an event')
})

t.test('a package name resolves from the working directory, as Node imports it (an ES-module-only package too)', async (t) => {
  const dir = freshStore('sqlite')
  t.teardown(dir.cleanup)
  const pkg = join(dir.dataDir, 'node_modules', 'keyturn-plugin-hello')
  mkdirSync(pkg, { recursive: true })
  writeFileSync(join(dir.dataDir, 'package.json'), JSON.stringify({ name: 'my-deployment', private: true }))
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'keyturn-plugin-hello', type: 'module', exports: { import: './hello.js' } }))
  writeFileSync(join(pkg, 'hello.js'), "export default async function hello(fastify) { fastify.get('/api/hello/', async () => ({ hello: 'from a package' })) }\n")
  const loaded = await importPlugin('keyturn-plugin-hello', dir.dataDir)
  t.equal(loaded.name, 'keyturn-plugin-hello')
  const app = await build(t, { plugins: [loaded.plugin] })
  t.same((await app.inject('/api/hello/')).json(), { hello: 'from a package' })
  await t.rejects(importPlugin('keyturn-plugin-absent', dir.dataDir), { message: /plugin keyturn-plugin-absent could not be loaded/ })
})

// The acceptance as an operator runs it: `npm start` serves dist/ through bin/keyturn-server.cjs.
t.test('KEYTURN_PLUGINS=./examples/plugins/... with the built server', async (t) => {
  const procs = new ChildTracker(t)
  const dir = freshStore('sqlite')
  t.teardown(dir.cleanup)
  const port = await freePort()
  const env = childEnv({
    ...TEST_ENV,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    KEYTURN_DATABASE_URL: dir.url,
    KEYTURN_DATA_DIR: dir.dataDir,
    KEYTURN_PLUGINS: './examples/plugins/tenant-tier.js,./examples/plugins/whoami-route.js',
    EXAMPLE_TENANT_TIERS: TIERS,
  })
  const created = await procs.run('cli/index.ts', ['createuser', '--username', 'carol', '--password-stdin'], env, 'carol pw\n')
  t.equal(created.code, 0, created.stderr)
  const server = procs.start('bin/keyturn-server.cjs', [], env)
  await server.waitFor(/listening|Server listening/i, 30_000).catch(() => undefined)
  const base = `http://127.0.0.1:${port}`
  const ready = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${base}/health/live`)).ok) return
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`the server did not start: ${server.stderr()}`)
  }
  await ready()
  const pair = (await (await fetch(`${base}/api/token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'carol', password: 'carol pw' }) })).json()) as { access: string; refresh: string }
  t.equal(claimsOf(pair.access).tier, 'free')
  t.equal((await fetch(`${base}/api/whoami/`)).status, 401)
  t.equal((await fetch(`${base}/api/whoami/`, { headers: bearer(pair.access) })).status, 200)
  const doc = (await (await fetch(`${base}/api/v1/schema/`)).json()) as { paths: Record<string, unknown> }
  t.ok(doc.paths['/api/whoami/'], 'in the OpenAPI document')
  const refreshed = (await (await fetch(`${base}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: pair.refresh }) })).json()) as { access: string; refresh: string }
  t.equal(claimsOf(refreshed.access).tier, 'free', 'the claim after a refresh')
  const loggedOut = await fetch(`${base}/api/logout/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: refreshed.refresh }) })
  t.equal(loggedOut.status, 200)
  t.equal((await fetch(`${base}/api/whoami/`, { headers: bearer(refreshed.access) })).status, 401, 'refused right after the logout')
  server.child.kill('SIGTERM')
  t.equal((await server.exited).code, 0)

  const broken = procs.start('bin/keyturn-server.cjs', [], { ...env, PORT: String(await freePort()), KEYTURN_PLUGINS: './examples/plugins/nope.js' })
  const exit = await broken.exited
  t.equal(exit.code, 1, 'a plugin that cannot be loaded stops the start')
  t.match(broken.stderr(), /keyturn: failed to start: plugin \.\/examples\/plugins\/nope\.js could not be loaded/)
})
