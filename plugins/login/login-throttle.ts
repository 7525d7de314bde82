// Per-account backoff on failed logins, whatever address they come from: after `free`
// failures in a row, each further attempt must wait twice as long as the last (1 s, 2 s,
// 4 s, ... up to `maxDelayMs`). A success clears it, and the wait always ends, so the real
// user is slowed, never locked out for good. Unknown usernames are throttled the same way,
// so the throttle tells nothing about which accounts exist.
//
// An attempt counts as a failure the moment it is let through, in the same step as the
// check: attempts in flight at once (a burst from many addresses, all hashing together)
// see each other, where a count made after hashing let a burst of any size through.

interface Entry {
  failures: number
  blockedUntil: number
  lastFailure: number
}

const MAX_ENTRIES = 100_000

export interface Attempt {
  // Milliseconds until this account may try again; 0: go ahead, and the attempt is counted.
  wait: number
  // This attempt, should it fail, is the one that puts the account into backoff: the moment
  // a burst of failures becomes suspicious (the login.failed event's `backoff`).
  armsBackoff: boolean
}

export interface Throttle {
  attempt(login: string, now: number): Promise<Attempt>
  // Clears the count.
  succeeded(login: string): Promise<void>
}

// In this instance's memory: the default, and the fallback while Redis is away.
export class LoginThrottle implements Throttle {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly free: number,
    private readonly maxDelayMs: number,
  ) {}

  private static key(login: string): string {
    return login.trim().toLowerCase()
  }

  // Synchronous, so the check and the count are one step for concurrent requests.
  async attempt(login: string, now: number): Promise<Attempt> {
    const wait = this.waitMs(login, now)
    const failures = wait === 0 ? this.count(login, now) : 0
    return { wait, armsBackoff: failures === this.free + 1 }
  }

  waitMs(login: string, now: number): number {
    const entry = this.entries.get(LoginThrottle.key(login))
    return entry ? Math.max(0, entry.blockedUntil - now) : 0
  }

  // Returns the failures in a row, this attempt included.
  private count(login: string, now: number): number {
    const key = LoginThrottle.key(login)
    const entry = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastFailure: 0 }
    // A long quiet spell forgives old failures.
    if (now - entry.lastFailure > this.maxDelayMs * 2) entry.failures = 0
    entry.failures += 1
    entry.lastFailure = now
    const over = entry.failures - this.free
    if (over > 0) entry.blockedUntil = now + Math.min(this.maxDelayMs, 1000 * 2 ** (over - 1))
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES) this.prune(now)
    this.entries.set(key, entry)
    return entry.failures
  }

  async succeeded(login: string): Promise<void> {
    this.entries.delete(LoginThrottle.key(login))
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastFailure > this.maxDelayMs * 2) this.entries.delete(key)
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear()
  }
}
