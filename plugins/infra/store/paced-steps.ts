// How a paced maintenance loop sizes its steps and rests between them: the flush's batched
// deletes (cli/paced-drain.ts) and the space given back after them (sqlite-space.ts). On
// SQLite each step holds the one write lock, which the server's writes wait for; so a step is
// sized to hold it about TARGET_STEP_MS, from how long the last one held it, and a pause of
// twice that (at least `minPauseMs`) lets the waiting writes in before the next.
export const TARGET_STEP_MS = 5
export const MIN_PAUSE_SQLITE_MS = 25

// The next step's size from this one's and how long it held the lock: items per ms of this
// step, held to at most doubling or halving and to [min, max].
export function nextStepSize(size: number, ms: number, min: number, max: number, targetMs = TARGET_STEP_MS): number {
  return Math.round(Math.min(max, Math.max(min, size / 2, Math.min(size * 2, (size * targetMs) / Math.max(ms, 1)))))
}

// The rest after a step that held the lock `ms`.
export const pauseAfter = (ms: number, minPauseMs: number): number => Math.max(2 * ms, minPauseMs, 2)
