// What every instance must know without asking the store on each request: which sessions
// were revoked recently enough that their access tokens may still be alive, and the state
// of users seen lately (the profile too: every change to a user, a login's last_login
// included, and to its client's name is in the log). Kept current by this process's own
// writes at once, and by polling the store's revocation log for other processes' writes.
import { RevokedSessions } from './revoked-sessions.js'
import { UserCache, type CachedUser } from './user-cache.js'

export type { CachedUser } from './user-cache.js'

// How long a revocation matters to access tokens: an access token lives at most its
// lifetime plus leeway past its session's revocation (plus a second of clock slack).
export function revocationRetentionMs(accessLifetimeMs: number, leewayMs: number): number {
  return accessLifetimeMs + leewayMs + 1000
}

const MAX_RESERVED = 1_000_000

export interface RevocationStateOptions {
  accessLifetimeMs: number
  leewayMs: number
  maxCachedUsers: number
  // Reads a user from the store on a cache miss.
  readUser: (userId: number) => Promise<CachedUser | null>
}

export class RevocationState {
  readonly retentionMs: number
  readonly #sessions: RevokedSessions
  readonly users: UserCache

  constructor(options: RevocationStateOptions) {
    this.retentionMs = revocationRetentionMs(options.accessLifetimeMs, options.leewayMs)
    this.#sessions = new RevokedSessions(this.retentionMs)
    this.users = new UserCache(options.maxCachedUsers, options.readUser)
  }

  revokeSession(sid: number, revokedAt: number): void {
    this.#sessions.add(sid, revokedAt)
  }

  // A revocation read from the log's window at the start, while the polls go on: older than
  // what they bring, it is queued apart (revoked-sessions.ts).
  revokeSessionFromStart(sid: number, revokedAt: number): void {
    this.#sessions.addFromStart(sid, revokedAt)
  }

  // About to add up to `count` revoked sessions (a start reading the log's window). Room for
  // a million at most is made at once (48 MB of table and queue, what a mass logout of as
  // many comes to anyway); `count` takes in the window's rows of other kinds too (every login
  // writes one).
  expectRevokedSessions(count: number): void {
    this.#sessions.reserve(Math.min(count, MAX_RESERVED))
  }

  isSessionRevoked(sid: number): boolean {
    return this.#sessions.has(sid)
  }

  prune(now: number): void {
    this.#sessions.prune(now)
  }

  get revokedSessionCount(): number {
    return this.#sessions.size
  }
}
