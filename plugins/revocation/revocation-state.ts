// What every instance must know without asking the store on each request: which sessions
// were revoked recently enough that their access tokens may still be alive, and the state
// of users seen lately (the profile too: every change to a user, a login's last_login
// included, and to its client's name is in the log). Kept current by this process's own
// writes at once, and by polling the store's revocation log for other processes' writes.
import type { UserWithClient } from '../users/users-store.js'

// The user's row as authentication and the profile need it; never the password hash.
export type CachedUser = Omit<UserWithClient, 'password_hash'>

const MAX_CACHED_USERS = 100_000

// How long a revocation matters to access tokens: an access token lives at most its
// lifetime plus leeway past its session's revocation (plus a second of clock slack).
export function revocationRetentionMs(accessLifetimeMs: number, leewayMs: number): number {
  return accessLifetimeMs + leewayMs + 1000
}

export class RevocationState {
  // sid -> when the entry may be forgotten (every access token of it has expired by then)
  private readonly revokedSessions = new Map<number, number>()
  // user id -> state, or null for "known not to exist"
  private readonly users = new Map<number, CachedUser | null>()
  readonly retentionMs: number

  constructor(accessLifetimeMs: number, leewayMs: number) {
    this.retentionMs = revocationRetentionMs(accessLifetimeMs, leewayMs)
  }

  revokeSession(sid: number, revokedAt: number): void {
    const forgetAt = revokedAt + this.retentionMs
    if ((this.revokedSessions.get(sid) ?? 0) < forgetAt) this.revokedSessions.set(sid, forgetAt)
  }

  isSessionRevoked(sid: number): boolean {
    return this.revokedSessions.has(sid)
  }

  getUser(id: number): CachedUser | null | undefined {
    return this.users.get(id)
  }

  setUser(id: number, user: CachedUser | null): void {
    // A crude bound: past the cap start afresh rather than grow without limit.
    if (this.users.size >= MAX_CACHED_USERS) this.users.clear()
    this.users.set(id, user)
  }

  forgetUser(id: number): void {
    this.users.delete(id)
  }

  // A client renamed or deleted: a walk over the cache, for a change an operator makes by hand.
  forgetClientUsers(clientId: number): void {
    for (const [id, user] of this.users) {
      if (user?.client_id === clientId) this.users.delete(id)
    }
  }

  prune(now: number): void {
    for (const [sid, forgetAt] of this.revokedSessions) {
      if (forgetAt <= now) this.revokedSessions.delete(sid)
    }
  }

  get revokedSessionCount(): number {
    return this.revokedSessions.size
  }
}
