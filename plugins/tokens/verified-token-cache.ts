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

interface Entry<T> {
  claims: T
  notBefore: number // ms
  expiresAt: number // ms
}

export class VerifiedTokenCache<T extends { exp: number; nbf?: number }> {
  readonly #entries = new Map<string, Entry<T>>()

  constructor(
    private readonly maxEntries: number,
    private readonly leewayMs: number,
  ) {}

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
    // The oldest entry goes first (a Map iterates in insertion order).
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
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
