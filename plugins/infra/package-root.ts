// The folder of Keyturn's package.json, from source (tsx) and from dist/ alike: files that
// the TypeScript build does not copy (the console's templates and stylesheet) are read from
// their place in the source tree, below it.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let found: { dir: string; version: string } | undefined

export function keyturnPackage(): { dir: string; version: string } {
  if (found) return found
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'keyturn' && pkg.version) return (found = { dir, version: pkg.version })
    } catch {
      // not here: one folder up
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error("Keyturn's package.json was not found above " + fileURLToPath(import.meta.url))
    dir = parent
  }
}
