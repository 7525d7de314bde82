// For the few test files that need the machine to themselves: many threads or a browser,
// with timing margins (a tab's answer must come before the next rotation). tap runs two
// files at once; these take one lock (a directory: mkdir is atomic, and it holds the
// owner's pid, so a lock left by a killed run is taken over) and so never run together.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const LOCK = join(tmpdir(), 'keyturn-tests-heavy.lock')

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'))
    if (!Number.isSafeInteger(pid) || pid <= 0) return false
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: alive, someone else's; no pid file yet: the owner is writing it.
    const code = (err as NodeJS.ErrnoException).code
    return code === 'EPERM' || code === 'ENOENT'
  }
}

// Waiting counts against the file's timeout: the caller's root test gets `minutes` more.
export async function exclusive(t: { teardown: (fn: () => void) => void; setTimeout: (ms: number) => void }, minutes = 5): Promise<void> {
  t.setTimeout(minutes * 60_000)
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(LOCK)
      writeFileSync(join(LOCK, 'pid'), String(process.pid))
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (waited > 1000 && !ownerAlive()) rmSync(LOCK, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  t.teardown(() => rmSync(LOCK, { recursive: true, force: true }))
}
