// A separate project that depends on Keyturn by path (examples/embed, copied out of the
// repository as a user would have it): npm installs it, and its own test embeds Keyturn
// beside its own routes and passes. Keyturn's package is dist/, built by `npm test` first.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../child-processes.js'

t.setTimeout(240_000)

t.test('examples/embed, as a project of its own, installs and passes its own test', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-embedder-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(ROOT, 'examples/embed'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') })
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  manifest.dependencies.keyturn = `file:${ROOT}`
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))

  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('KEYTURN_') || key === 'NODE_OPTIONS' || key === 'FASTIFY_AUTOLOAD_TYPESCRIPT') delete env[key]
  // --ignore-scripts: Keyturn's own prepare (a build into dist/) is not the embedder's to run.
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], { cwd: dir, env, encoding: 'utf8' })
  t.equal(install.status, 0, `npm install: ${install.stderr}`)
  const test = spawnSync('npm', ['test'], { cwd: dir, env, encoding: 'utf8' })
  t.equal(test.status, 0, `its own test:\n${test.stdout}\n${test.stderr}`)
  t.match(test.stdout, /# pass 2/, 'both of its tests pass')
  t.match(test.stdout, /# fail 0/)
})
