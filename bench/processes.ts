// What the bench scripts share: a free port for a server, and waiting until it answers.
import type { ChildProcess } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

// Polls every `intervalMs` (a startup measured to the poll: 10 ms) for at most 30 s.
export async function waitForHttp(url: string, child: ChildProcess, intervalMs = 100): Promise<void> {
  for (let i = 0; i < 30_000 / intervalMs; i++) {
    if (child.exitCode !== null) throw new Error(`Keyturn exited with ${child.exitCode}`)
    try {
      await fetch(url)
      return
    } catch {
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }
  throw new Error('Keyturn did not start listening within 30 s')
}
