// Runs `attempt` until it succeeds, waiting `intervalMs` after each failure, and gives up as
// soon as `closed` is aborted: during an attempt (its failure is then not reported) or during
// a wait, which ends at once. The wait's timer does not keep the process alive, and a close
// must not wait for it either: an instance closing while its start's read was failing (the
// store gone) waited out the timer, and when nothing else kept the event loop busy the
// process exited with the close still pending.
import { setTimeout as sleep } from 'node:timers/promises'

export async function retryUntilClosed(attempt: () => Promise<void>, intervalMs: number, closed: AbortSignal, onFailure: (err: unknown) => void): Promise<void> {
  while (!closed.aborted) {
    try {
      return await attempt()
    } catch (err) {
      if (closed.aborted) return
      onFailure(err)
      await sleep(intervalMs, undefined, { ref: false, signal: closed }).catch(() => undefined)
    }
  }
}
