// The `revocations` concern: keeps RevocationState current across instances by reading the
// `revocations` log (when: poll-schedule.ts, every half second while it moves, on the store's
// word while it is quiet). After the start, rows are picked by commit order (revocationMark), never
// by created_at: a row's time comes from whichever clock wrote it (an instance, or the
// database for the users triggers) and precedes its COMMIT by as long as its transaction
// stays open (an operator's psql session, for minutes), so no window on created_at is sure to
// see it. Re-applying a row is harmless, missing one is not.
//
// A start takes the log's mark and polls from it at once; the sessions revoked before the mark
// (a mass logout's million, a second or more to read) come in behind, while the instance
// already answers. Until they are all in, a session memory does not know is looked up in the
// store: its row says whether it was revoked.
import fp from 'fastify-plugin'
import { errors } from '../infra/api-error.js'
import { findUserById } from '../users/users-store.js'
import { eachSessionRevocationSince, revocationMark, revocationsAfter, sessionRevokedInStore, type RevocationMark } from './revocation-log.js'
import { RevocationState, type CachedUser } from './revocation-state.js'
import { schedulePolls } from './poll-schedule.js'
import { retryUntilClosed } from './retry-until-closed.js'
import type { RevocationKind } from './tables.js'

export interface Revocations {
  state: RevocationState
  // Whether the session was revoked: from memory, without a promise, once the start has read
  // the log's window; from the store for a session memory does not know until then.
  isSessionRevoked(sid: number): boolean | Promise<boolean>
  // Applies this process's own revocation at once (the poll brings other processes').
  sessionRevoked(sid: number, now: number): void
  userChanged(userId: number): void
  // The user's state (and profile) from memory, read from the store once on a miss.
  loadUser(userId: number): Promise<CachedUser | null>
  // Throws 503 when the log has not been read for too long to trust memory.
  assertFresh(now: number): void
  sync(now: number): Promise<void>
  // Concerns that keep something of their own in memory hear of its entries (after the start).
  onEntry(kind: RevocationKind, listener: (subjectId: number) => void): void
  // When the log was last read whole (ms since the epoch).
  readonly lastSyncAt: number
  // Told, for each session another process revoked, how long after its revocation this one
  // applied it (ms): the revocation lag.
  onSessionApplied(listener: (lagMs: number) => void): void
}

// Where the log's trigger tells of new rows on Postgres (migration 2026-12-03T00).
const NOTICE_CHANNEL = 'keyturn_revocations'

declare module 'fastify' {
  interface FastifyInstance {
    revocations: Revocations
  }
}

export default fp(
  async (fastify) => {
    const { config, db, keys, tokens } = fastify
    const state = new RevocationState({
      accessLifetimeMs: tokens.accessLifetimeMs,
      leewayMs: tokens.leewayMs,
      maxCachedUsers: config.KEYTURN_USER_CACHE_SIZE,
      async readUser(userId) {
        const row = await findUserById(db, userId)
        if (!row) return null
        const { password_hash: _hash, ...user } = row
        return user
      },
    })
    // The mark first: every row it does not cover is the polls' to read. The window before it
    // comes in behind.
    const startedAt = Date.now()
    let mark: RevocationMark = await revocationMark(db)
    let lastSyncAt = startedAt
    const listeners = new Map<RevocationKind, Array<(subjectId: number) => void>>()
    const lagListeners: Array<(lagMs: number) => void> = []

    // Whether the window the start reads is all in memory.
    let windowRead = false
    const closed = new AbortController()

    // At the start only what may still matter: sessions revoked within an access token's
    // life. Nothing else is kept in memory yet, so nothing else in the log concerns it. Read
    // from the window's first row to the end of the log: rows past the mark come along, and
    // are harmless, read again by the polls.
    async function readWindow(since: number): Promise<void> {
      const began = performance.now()
      const heed = () => {
        if (closed.signal.aborted) throw new Error('closing')
      }
      await eachSessionRevocationSince(
        db,
        since,
        (sid, revokedAt) => {
          heed()
          state.revokeSessionFromStart(sid, revokedAt)
        },
        undefined,
        (rows) => {
          heed()
          state.expectRevokedSessions(rows)
        },
      )
      state.prune(Date.now())
      windowRead = true
      fastify.log.info({ revokedSessions: state.revokedSessionCount, ms: Math.round(performance.now() - began) }, 'revocation log read')
    }

    // Reads the window in the background until it is all in (a failed read is tried again a
    // poll later); resolves when it is, or as soon as the instance closes.
    async function readWindowInTheBackground(since: number): Promise<void> {
      // After what made ready() (a listen's bind) has run.
      await new Promise((resolve) => setImmediate(resolve))
      await retryUntilClosed(() => readWindow(since), config.KEYTURN_REVOCATION_POLL_MS, closed.signal, (err) =>
        fastify.log.warn({ err: (err as Error).message }, 'reading the revocation log at the start failed; trying again'),
      )
    }

    // Reads the log from the mark: how many rows it read.
    async function readLog(now: number): Promise<number> {
      const { rows, next } = await revocationsAfter(db, mark)
      let keysChanged = false
      const appliedAt = Date.now()
      for (const row of rows) {
        if (row.kind === 'session') {
          // A session already known revoked is this process's own revocation, or a row read
          // again: neither is a lag.
          const fresh = !state.isSessionRevoked(row.subject_id)
          state.revokeSession(row.subject_id, row.created_at)
          if (fresh) for (const listener of lagListeners) listener(appliedAt - row.created_at)
        }
        else if (row.kind === 'client') state.users.forgetClientUsers(row.subject_id)
        else if (row.kind === 'key') keysChanged = true
        else if (row.kind === 'user') state.users.forget(row.subject_id)
        const heard = listeners.get(row.kind)
        if (heard !== undefined) for (const listener of heard) listener(row.subject_id)
      }
      // Once however many entries there were.
      if (keysChanged) await keys.reload()
      state.prune(now)
      mark = next
      lastSyncAt = now
      return rows.length
    }
    const sync = async (now: number): Promise<void> => void (await readLog(now))

    const revocations: Revocations = {
      state,
      isSessionRevoked(sid) {
        if (state.isSessionRevoked(sid)) return true
        return windowRead ? false : sessionRevokedInStore(db, sid)
      },
      sessionRevoked: (sid, now) => state.revokeSession(sid, now),
      userChanged: (userId) => state.users.forget(userId),
      loadUser: (userId) => state.users.load(userId),
      assertFresh(now) {
        if (now - lastSyncAt > config.KEYTURN_REVOCATION_MAX_STALENESS_MS) throw errors.storeUnavailable()
      },
      sync,
      onEntry: (kind, listener) => void listeners.set(kind, [...(listeners.get(kind) ?? []), listener]),
      get lastSyncAt() {
        return lastSyncAt
      },
      onSessionApplied: (listener) => void lagListeners.push(listener),
    }

    // Once the instance is ready: the start itself does none of the reading.
    let reading: Promise<void> = Promise.resolve()
    fastify.addHook('onReady', async () => {
      reading = readWindowInTheBackground(startedAt - state.retentionMs)
    })
    const polls = schedulePolls({
      poll: () => readLog(Date.now()),
      pollMs: config.KEYTURN_REVOCATION_POLL_MS,
      // Three reads within the staleness limit, should every signal be lost.
      quietMs: Math.max(config.KEYTURN_REVOCATION_POLL_MS, Math.floor(config.KEYTURN_REVOCATION_MAX_STALENESS_MS / 3)),
      signal: fastify.storeChanges?.(NOTICE_CHANNEL),
      onError: (err) => fastify.log.warn({ err: (err as Error).message }, 'revocation log poll failed'),
    })
    fastify.addHook('onClose', async () => {
      closed.abort()
      await Promise.all([polls.stop(), reading])
    })
    fastify.decorate('revocations', revocations)
  },
  { name: 'revocations', dependencies: ['config', 'db', 'keys', 'tokens', 'users'] },
)
