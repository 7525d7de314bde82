// The sessions revoked recently enough that their access tokens may still be alive, each
// until every such token has expired. Entries arrive in about the order they expire (every
// one is kept for the same span after its revocation), so they are also queued in arrival
// order and pruned from the front: a poll costs what it removes, not what is held, however
// busy the log has been. An entry that arrives out of order (another instance's clock a
// little behind) waits behind the one in front of it, at most that skew longer: kept longer
// is safe, forgotten early would not be. A start reads the log's window while the polls go on
// (index.ts): those older entries get a queue of their own, so that neither order holds the
// other's entries back.
import { doubledUntil } from '../infra/power-of-two.js'
import { IntTable } from './int-table.js'

// Two parallel columns (session id, forget-at tick) as a growable ring: 16 bytes an entry, no
// object per entry for the collector to trace. Its capacity is a power of two, so a place in
// the ring is found with a mask.
class ExpiryQueue {
  #sids = new Float64Array(1024)
  #at = new Float64Array(1024)
  #head = 0
  #length = 0

  push(sid: number, at: number): void {
    if (this.#length === this.#sids.length) this.#grow()
    const i = (this.#head + this.#length) & (this.#sids.length - 1)
    this.#sids[i] = sid
    this.#at[i] = at
    this.#length++
  }

  // The front entry's forget-at, or Infinity when empty.
  get frontAt(): number {
    return this.#length === 0 ? Infinity : (this.#at[this.#head] as number)
  }

  shift(): number {
    const sid = this.#sids[this.#head] as number
    this.#head = (this.#head + 1) & (this.#sids.length - 1)
    this.#length--
    return sid
  }

  reserve(entries: number): void {
    const slots = doubledUntil(this.#sids.length, entries)
    if (slots > this.#sids.length) this.#grow(slots)
  }

  #grow(slots = this.#sids.length * 2): void {
    const size = this.#sids.length
    const sids = new Float64Array(slots)
    const at = new Float64Array(slots)
    for (let k = 0; k < size; k++) {
      sids[k] = this.#sids[(this.#head + k) & (size - 1)] as number
      at[k] = this.#at[(this.#head + k) & (size - 1)] as number
    }
    this.#sids = sids
    this.#at = at
    this.#head = 0
  }

  get length(): number {
    return this.#length
  }
}

// Forget-at times are kept as tenths of a second, rounded up (kept at most 100 ms longer),
// counted from a whole tenth before the state was made: so an entry's tick does not depend on
// the millisecond the instance started (from that millisecond, an entry due at .003 could
// still be held at .100).
const TICK_MS = 100

export class RevokedSessions {
  // sid -> when it may be forgotten (ticks); the latest, if a session is revoked twice. In
  // typed arrays (int-table.ts): a mass logout's million entries are nothing for the
  // collector to walk.
  readonly #forgetAt = new IntTable()
  readonly #queue = new ExpiryQueue()
  // The entries read from the log's window at the start, in the window's order.
  readonly #startQueue = new ExpiryQueue()
  readonly #base = Math.floor(Date.now() / TICK_MS) * TICK_MS

  constructor(private readonly retentionMs: number) {}

  #tick(ms: number): number {
    return Math.ceil((ms - this.#base) / TICK_MS)
  }

  add(sid: number, revokedAt: number): void {
    const forgetAt = this.#tick(revokedAt + this.retentionMs)
    if (this.#forgetAt.raise(sid, forgetAt)) this.#queue.push(sid, forgetAt)
  }

  // An entry of the window a start reads, older than those polled meanwhile.
  addFromStart(sid: number, revokedAt: number): void {
    const forgetAt = this.#tick(revokedAt + this.retentionMs)
    if (this.#forgetAt.raise(sid, forgetAt)) this.#startQueue.push(sid, forgetAt)
  }

  has(sid: number): boolean {
    return this.#forgetAt.has(sid)
  }

  // Room made at once for `entries` more from the start's window (about to be read).
  reserve(entries: number): void {
    this.#forgetAt.reserve(this.#forgetAt.size + entries)
    this.#startQueue.reserve(this.#startQueue.length + entries)
  }

  // Removes what has expired by `now`, from the front of the queues only.
  prune(now: number): void {
    const until = (now - this.#base) / TICK_MS
    this.#pruneQueue(this.#queue, until)
    this.#pruneQueue(this.#startQueue, until)
  }

  #pruneQueue(queue: ExpiryQueue, until: number): void {
    while (queue.frontAt <= until) {
      const at = queue.frontAt
      const sid = queue.shift()
      // A session revoked again later has a later entry further back (or in the other
      // queue): keep it for that one.
      if (this.#forgetAt.get(sid) === at) this.#forgetAt.delete(sid)
    }
  }

  get size(): number {
    return this.#forgetAt.size
  }

  // Entries queued, including those superseded by a later revocation of the same session.
  get queued(): number {
    return this.#queue.length + this.#startQueue.length
  }
}
