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
import { LRUCache } from 'lru-cache'

interface Entry<T> {
  claims: T
  notBefore: number // ms
  expiresAt: number // ms
}

export class VerifiedTokenCache<T extends { exp: number; nbf?: number }> {
  readonly #entries: LRUCache<string, Entry<T>>

  constructor(
    maxEntries: number,
    private readonly leewayMs: number,
  ) {
    this.#entries = new LRUCache({ max: maxEntries })
  }

  get(token: string, now: number): T | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (now > entry.expiresAt || now < entry.notBefore) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.claims
  }

  set(token: string, claims: T): void {
    this.#entries.set(token, {
      claims: Object.freeze(claims),
      notBefore: typeof claims.nbf === 'number' ? claims.nbf * 1000 - this.leewayMs : 0,
      expiresAt: claims.exp * 1000 + this.leewayMs,
    })
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
