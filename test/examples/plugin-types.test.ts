// A plugin author's TypeScript, in a project of its own, compiles against the types the
// package ships (dist/*.d.ts): fastify.keyturn, the claim context, the event payloads and
// request.user are all typed there.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../child-processes.js'

const PLUGIN = `import type { KeyturnPlugin } from 'keyturn'

const plugin: KeyturnPlugin = async (fastify, { config }) => {
  fastify.keyturn.claims.add((ctx) => ({ tier: ctx.client?.name ?? 'free', staff: ctx.user.isStaff }), { names: ['tier', 'staff'] })
  fastify.keyturn.events.on('session_revoked', (event) => {
    const reason: 'logout' | 'revoke' | 'logout_all' | 'password_change' | 'deactivation' | 'expiry' | 'reuse' | 'admin' = event.reason
    void reason
  })
  fastify.get('/api/mine/', { onRequest: [fastify.keyturn.authenticate, fastify.keyturn.requireStaff] }, async (request) => ({
    user: request.user.username,
    session: request.user.sessionId,
    tier: request.user.claims.tier,
    store: config.KEYTURN_DATABASE_URL,
  }))
}
export default plugin
`

t.test("a plugin author's TypeScript compiles against the shipped types", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-plugin-author-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'node_modules'))
  // What a path dependency ("keyturn": "file:...") installs: a link to the package.
  symlinkSync(ROOT, join(dir, 'node_modules', 'keyturn'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-plugin', type: 'module', private: true }))
  const compilerOptions = { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, skipLibCheck: true, types: [] }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['plugin.ts'] }))
  writeFileSync(join(dir, 'plugin.ts'), PLUGIN)
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' })
  t.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`)

  // And a mistake is caught: the types are real, not any.
  writeFileSync(join(dir, 'plugin.ts'), PLUGIN.replace('request.user.username', 'request.user.nickname'))
  const wrong = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' })
  t.not(wrong.status, 0)
  t.match(wrong.stdout, /Property 'nickname' does not exist/)
})
