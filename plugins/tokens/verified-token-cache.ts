// Tokens whose signature and claims have already been checked, keyed by the whole token.
// A client sends the same access token on every call for its lifetime, and checking it
// again (decode, HMAC, claims) was the largest single cost of an authenticated request.
//
// Why it is safe: the key is the token itself, so a hit means these exact bytes were
// verified by this process with its key and rules (no hash, so no collision can pass one
// token off as another); an entry is used only inside the token's own lifetime (exp and
// nbf, with the same leeway as the verifier); only successes are kept, so forged tokens are
// checked in full every time and cannot fill it; and it says nothing about revocation,
// which every caller checks after decoding, on every use.
//
// Least recently used out first (lru-cache). Its first version dropped the oldest entry of a
// Map, found with keys().next(): a Map keeps the holes its deletions leave until it is
// rebuilt, and that iterator walks them from the start, so with the cache full each new token
// cost about 6.7 µs of skipping, half of what verifying it cost.
//
// A token enters on its second sighting, not its first (a doorkeeper, as in TinyLFU), and once
// the cache is full it displaces the least recently used entry only on its fourth. With more
// distinct tokens in play than the cache holds (a gateway for 100 000 users), every entry was
// evicted before its token came back: each request paid for an entry (the token, its claims)
// that lived long enough to be promoted to the old generation and then died there, work for
// both collectors that no hit ever repaid. The doorkeeper remembers a fingerprint of the token
// (a hash of eight characters of its signature, which a MAC makes random) and how often it was
// seen, in a table; another token landing on the slot starts the count afresh. Over 100k
// tokens in turn each of 65 536 slots is taken over about 1.5 times between two sightings
// of a token, so one in five was still there at the next: admitted at the second sighting,
// a fifth of all requests still replaced an entry (verify over them at 0.69-0.72 of a store
// whose tokens all hit; 0.61-0.63 admitting every token). Three sightings in a row survive about once in a
// hundred: admitted at the fourth, 0.70-0.84 in five runs, as with no cache at all (0.70-0.77).
// A token in steady use passes four sightings within a second. A collision only admits a
// token early: a hit still needs the whole token as its key.
//
// The table has at least four slots an entry (65 536 for the default 10 000, 5 bytes a slot):
// a cache sized for 100 000 tokens in turn admits about 82 % of them at their second
// sighting, where 65 536 slots admitted a fifth of them a round.
import { LRUCache } from 'lru-cache'
import { doubledUntil } from '../infra/power-of-two.js'

const MIN_DOORKEEPER_SLOTS = 1 << 16
// Sightings within the doorkeeper's memory that admit a token: while there is room, and once
// admitting it evicts another.
const ADMIT_WITH_ROOM = 2
const ADMIT_WHEN_FULL = 4

interface Entry<T> {
  claims: T
  notBefore: number // ms
  expiresAt: number // ms
}

export class VerifiedTokenCache<T extends { exp: number; nbf?: number }> {
  // Undefined when sized 0: nothing is kept.
  readonly #entries: LRUCache<string, Entry<T>> | undefined
  readonly #prints: Int32Array
  readonly #sightings: Uint8Array

  constructor(
    maxEntries: number,
    private readonly leewayMs: number,
  ) {
    this.#entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined
    const slots = doubledUntil(MIN_DOORKEEPER_SLOTS, 4 * maxEntries)
    this.#prints = new Int32Array(maxEntries > 0 ? slots : 0)
    this.#sightings = new Uint8Array(maxEntries > 0 ? slots : 0)
  }

  get(token: string, now: number): T | undefined {
    if (this.#entries === undefined) return undefined
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (now > entry.expiresAt || now < entry.notBefore) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.claims
  }

  set(token: string, claims: T): void {
    // Frozen whether kept or not: callers get the same kind of object either way.
    const frozen = Object.freeze(claims)
    if (this.#entries === undefined || !this.#admits(this.#entries, token)) return
    this.#entries.set(token, {
      claims: frozen,
      notBefore: typeof claims.nbf === 'number' ? claims.nbf * 1000 - this.leewayMs : 0,
      expiresAt: claims.exp * 1000 + this.leewayMs,
    })
  }

  clear(): void {
    this.#entries?.clear()
    this.#prints.fill(0)
    this.#sightings.fill(0)
  }

  // True when this token was offered often enough while its slot remembered it.
  #admits(entries: LRUCache<string, Entry<T>>, token: string): boolean {
    const n = token.length
    if (n < 12) return true
    // FNV-1a over the eight characters before the last (whose low bits a base64url signature
    // of 32 bytes leaves mostly fixed): its low bits pick the slot, and the hash, its lowest bit
    // set so that it is never an empty slot's 0, is the print the slot remembers.
    let hash = 0x811c9dc5
    for (let i = 2; i <= 9; i++) hash = Math.imul(hash ^ token.charCodeAt(n - i), 0x01000193)
    const print = hash | 1
    const slot = hash & (this.#prints.length - 1)
    if (this.#prints[slot] !== print) {
      this.#prints[slot] = print
      this.#sightings[slot] = 1
      return false
    }
    const count = Math.min(255, (this.#sightings[slot] as number) + 1)
    this.#sightings[slot] = count
    return count >= (entries.size < entries.max ? ADMIT_WITH_ROOM : ADMIT_WHEN_FULL)
  }

  get size(): number {
    return this.#entries?.size ?? 0
  }
}
