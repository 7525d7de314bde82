// @ts-check
// The shop's own test: its route and Keyturn's, side by side, each with its own answers.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { buildServer } from './server.js'

const dir = mkdtempSync(join(tmpdir(), 'keyturn-embed-'))
const env = {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  KEYTURN_DATABASE_URL: `sqlite:${join(dir, 'keyturn.sqlite')}`,
  KEYTURN_DATA_DIR: dir,
  KEYTURN_SIGNING_KEY: 'embed-example-signing-key-0123456789abcdef',
  KEYTURN_ARGON2_MEMORY_KIB: '1024',
  KEYTURN_ARGON2_TIME_COST: '1',
}
/** @type {Awaited<ReturnType<typeof buildServer>>} */
let server

before(async () => {
  // The first user, as an operator makes it: with the keyturn command the dependency brings.
  execFileSync(join('node_modules', '.bin', 'keyturn'), ['createuser', '--username', 'alice', '--password-stdin'], {
    env,
    input: 'a long passphrase\n',
  })
  server = await buildServer(env)
})

after(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

test("the shop's own routes keep the shop's answers", async () => {
  assert.deepEqual((await server.inject('/hello')).json(), { hello: 'from the shop' })
  const missing = await server.inject('/nowhere')
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(missing.json(), { error: 'no page at /nowhere' })
})

test("Keyturn's routes answer under /auth with SimpleJWT's bodies", async () => {
  const denied = await server.inject('/auth/api/user/')
  assert.equal(denied.statusCode, 401)
  assert.deepEqual(denied.json(), { detail: 'Authentication credentials were not provided.' })

  const login = await server.inject({ method: 'POST', url: '/auth/api/token/', payload: { username: 'alice', password: 'a long passphrase' } })
  assert.equal(login.statusCode, 200)
  const { access, refresh } = login.json()
  const me = await server.inject({ url: '/auth/api/user/', headers: { authorization: `Bearer ${access}` } })
  assert.equal(me.json().username, 'alice')

  // The plugin handed to Keyturn is behind Keyturn's authentication.
  const orders = await server.inject({ url: '/auth/orders/', headers: { authorization: `Bearer ${access}` } })
  assert.deepEqual(orders.json(), { customer: 'alice', orders: [] })
  assert.equal((await server.inject('/auth/orders/')).statusCode, 401)

  const logout = await server.inject({ method: 'POST', url: '/auth/api/logout/', payload: { refresh } })
  assert.equal(logout.statusCode, 200)
  assert.equal((await server.inject({ url: '/auth/orders/', headers: { authorization: `Bearer ${access}` } })).statusCode, 401)
})
