// Tokens whose signature and claims have already been checked, keyed by the token's SHA-256.
// A client sends the same access token on every call for its lifetime, and checking it
// again (decode, HMAC, claims) was the largest single cost of an authenticated request.
//
// Why it is safe: a hit needs a token whose SHA-256 is that of a token this process verified
// with its key and rules. Only verified tokens enter, and they are ASCII (the MAC is over
// their text's UTF-8 bytes, and a signer writes base64url), so another string with the same
// bytes does not exist; another string with the same digest is a second preimage of SHA-256,
// as far out of reach as forging the MAC itself. An entry is used only inside the token's own
// lifetime (exp and nbf, with the same leeway as the verifier); only successes are kept, so
// forged tokens are checked in full every time and cannot fill it; and it says nothing about
// revocation, which every caller checks after decoding, on every use.
//
// Why a digest: the key was the token itself, 385 of an entry's 605 bytes for a 331-character
// token; its 32-byte digest as a one-byte string is about 48, and an entry holds just the
// claims object (its lifetime is read off exp and nbf), about 240 bytes in all, so a cache
// for ten times the tokens costs four times the memory. Computing the digest costs about
// what the map saved by hashing and comparing 32 characters instead of 331 (in-process: a
// look-up 1.4 µs with the digest, 1.3 µs by the whole token).
//
// Two tiers. The entries (objects with their claims, on the heap) are for the tokens in steady
// use; behind them, the digests of many more (verified-digests.ts, 20 bytes each, off the
// heap), whose claims are decoded again from the token when one comes back: in-process about
// 1.8 µs against 4-6 µs for a token verified afresh and 0.9 µs for an entry (over the cost of
// reading the request). The scale bench's verify over 100 000 tokens in turn went from
// 0.75-0.80 of a store whose tokens all hit to 0.87, with 500 000 digests (10 MB) and the
// entries at 10 000; with 131 072 entries and no digests it was 0.92, for 33 MB of heap that
// took the instance past 250 MB.
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
// token early: a hit still needs the token's digest as its key.
//
// The table has at least four slots an entry (65 536 for the default 10 000, 5 bytes a slot):
// a cache sized for 100 000 tokens in turn admits about 82 % of them at their second
// sighting, where 65 536 slots admitted a fifth of them a round.
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { doubledUntil } from '../infra/power-of-two.js'
import { VerifiedDigests } from './verified-digests.js'

const MIN_DOORKEEPER_SLOTS = 1 << 16
// Sightings within the doorkeeper's memory that admit a token: while there is room, and once
// admitting it evicts another.
const ADMIT_WITH_ROOM = 2
const ADMIT_WHEN_FULL = 4

export class VerifiedTokenCache<T extends { exp: number; nbf?: number }> {
  // Undefined when sized 0: nothing is kept.
  readonly #entries: LRUCache<string, T> | undefined
  readonly #prints: Int32Array
  readonly #sightings: Uint8Array
  // The second tier: digests of more tokens than the entries hold, whose claims are read off
  // the token again (verified-digests.ts).
  readonly #digests: VerifiedDigests
  // The last look-up's token and digest: a miss is followed by set() for the same token, which
  // need not hash it again.
  #lastToken = ''
  #lastKey = ''

  // `reread` gives the claims of a token verified before (its payload decoded and checked as
  // when it was verified); `maxDigests`: how many tokens the second tier remembers (0: none).
  constructor(
    maxEntries: number,
    private readonly leewayMs: number,
    maxDigests = 0,
    private readonly reread?: (token: string) => T,
  ) {
    this.#entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined
    this.#digests = new VerifiedDigests(reread === undefined ? 0 : maxDigests)
    const slots = doubledUntil(MIN_DOORKEEPER_SLOTS, 4 * maxEntries)
    this.#prints = new Int32Array(maxEntries > 0 ? slots : 0)
    this.#sightings = new Uint8Array(maxEntries > 0 ? slots : 0)
  }

  get(token: string, now: number): T | undefined {
    if (this.#entries === undefined && this.#digests.capacity === 0) return undefined
    const key = this.#keyOf(token)
    const claims = this.#entries?.get(key)
    if (claims === undefined) return this.#fromDigests(token, key, now)
    if (!this.#inLifetime(claims, now)) {
      this.#entries?.delete(key)
      return undefined
    }
    return claims
  }

  set(token: string, claims: T): void {
    // Frozen whether kept or not: callers get the same kind of object either way.
    const frozen = Object.freeze(claims)
    if (this.#digests.capacity > 0) this.#digests.add(this.#keyOf(token), claims.exp)
    if (this.#entries === undefined || !this.#admits(this.#entries, token)) return
    this.#entries.set(this.#keyOf(token), frozen)
  }

  // A token the second tier remembers: its claims read again, and counted towards an entry.
  #fromDigests(token: string, key: string, now: number): T | undefined {
    const exp = this.#digests.capacity > 0 ? this.#digests.expiryOf(key) : 0
    if (exp === 0 || now > exp * 1000 + this.leewayMs || this.reread === undefined) return undefined
    let claims: T
    try {
      claims = Object.freeze(this.reread(token))
    } catch {
      return undefined
    }
    if (!this.#inLifetime(claims, now)) return undefined
    if (this.#entries !== undefined && this.#admits(this.#entries, token)) this.#entries.set(key, claims)
    return claims
  }

  #inLifetime(claims: T, now: number): boolean {
    const notBefore = typeof claims.nbf === 'number' ? claims.nbf * 1000 - this.leewayMs : 0
    return now <= claims.exp * 1000 + this.leewayMs && now >= notBefore
  }

  #keyOf(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token
      // 32 bytes as 32 one-byte characters.
      this.#lastKey = hash('sha256', token, 'binary')
    }
    return this.#lastKey
  }

  clear(): void {
    this.#entries?.clear()
    this.#digests.clear()
    this.#lastToken = ''
    this.#lastKey = ''
    this.#prints.fill(0)
    this.#sightings.fill(0)
  }

  // True when this token was offered often enough while its slot remembered it.
  #admits(entries: LRUCache<string, T>, token: string): boolean {
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
