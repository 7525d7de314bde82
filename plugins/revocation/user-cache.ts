// The users seen lately, as authentication and the profile need them, least recently used
// out first (lru-cache): past its size a miss evicts one entry, where the old cache started
// afresh at 100k users and every active user's next request went to the store at once.
//
// Misses are coalesced: however many requests of one user miss together, the store is read
// once. A change to a user while its read is in flight (the read may have seen the row
// before it) keeps that read's answer out of the cache, so what is cached is never older
// than the last change this process has heard of.
//
// The first OBJECTS_UP_TO users are kept as objects, ready to use; past that, new entries are
// kept packed in one string each (packed-user.ts). A cache of a few thousand users pays
// nothing for packing (unpacking on every read cost GET /api/user/ about 5 % of its
// throughput); one of 200 000 holds them in about half the memory (177 bytes a user
// against 348) for about 0.8 µs a read.
import { LRUCache } from 'lru-cache'
import { packedClientId, packUser, unpackUser, type CachedUser } from './packed-user.js'

export type { CachedUser } from './packed-user.js'

const OBJECTS_UP_TO = 20_000

// "Known not to exist" (lru-cache keeps no null); no packed user is empty.
const NOBODY = ''

export class UserCache {
  readonly #lru: LRUCache<number, CachedUser | string>
  readonly #loading = new Map<number, Promise<CachedUser | null>>()
  // Moves on every change heard of: a read begun before it is not cached.
  #epoch = 0

  constructor(
    readonly maxUsers: number,
    private readonly read: (userId: number) => Promise<CachedUser | null>,
    private readonly objectsUpTo = OBJECTS_UP_TO,
  ) {
    this.#lru = new LRUCache({ max: maxUsers })
  }

  // The cached state: a user, null for "no such user", undefined when not cached.
  get(userId: number): CachedUser | null | undefined {
    const hit = this.#lru.get(userId)
    if (typeof hit !== 'string') return hit
    return hit === NOBODY ? null : unpackUser(hit)
  }

  // From memory, or read from the store once however many ask at the same moment.
  load(userId: number): Promise<CachedUser | null> {
    const cached = this.get(userId)
    if (cached !== undefined) return Promise.resolve(cached)
    const pending = this.#loading.get(userId)
    return pending ?? this.#readOnce(userId)
  }

  #readOnce(userId: number): Promise<CachedUser | null> {
    const epoch = this.#epoch
    const done = (): void => {
      if (this.#loading.get(userId) === reading) this.#loading.delete(userId)
    }
    const reading = this.read(userId).then(
      (user) => {
        done()
        if (this.#epoch === epoch) this.#lru.set(userId, user === null ? NOBODY : this.#lru.size < this.objectsUpTo ? user : packUser(user))
        return user
      },
      (err: unknown) => {
        done()
        throw err
      },
    )
    this.#loading.set(userId, reading)
    return reading
  }

  forget(userId: number): void {
    this.#epoch++
    this.#lru.delete(userId)
    this.#loading.delete(userId)
  }

  // A client renamed or deleted: a walk over the cache, for a change an operator makes by hand.
  forgetClientUsers(clientId: number): void {
    this.#epoch++
    this.#loading.clear()
    const gone: number[] = []
    for (const [id, user] of this.#lru.entries()) {
      const tenant = typeof user !== 'string' ? user.client_id : user === NOBODY ? undefined : packedClientId(user)
      if (tenant === clientId) gone.push(id)
    }
    for (const id of gone) this.#lru.delete(id)
  }

  get size(): number {
    return this.#lru.size
  }
}
