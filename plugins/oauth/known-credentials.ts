// HTTP Basic credentials that authenticated before, by the exact header value. A service
// sends the same header on every call, and checking it again (decoding it, the backoff's
// bookkeeping, the SHA-256) was most of what an introspection cost: the bench's introspect
// went from 11 200-11 400 to 15 700-17 200 a second on SQLite (0.45 to 0.60 of B).
//
// Why it is safe, as the verified-token cache is: only successes are kept, by the whole value,
// so a guess never matches one; an entry holds only until its secret stops working (for
// ever, or a rotated secret's overlap end); and it holds only while the account is the very
// object the service-accounts cache handed out then. Any change (a rotation, a disable, a
// rescope, a deletion) drops that object, here at once and on every other instance from the
// revocation log, so the next call checks in full.
import type { ServiceAccount } from '../service-accounts/index.js'

interface Entry {
  account: ServiceAccount
  validUntil: number
}

export class KnownCredentials {
  readonly #entries = new Map<string, Entry>()

  constructor(private readonly maxEntries: number) {}

  get(header: string, now: number): Entry | undefined {
    const entry = this.#entries.get(header)
    if (entry !== undefined && entry.validUntil <= now) {
      this.#entries.delete(header)
      return undefined
    }
    return entry
  }

  remember(header: string, account: ServiceAccount, validUntil: number): void {
    // A full cache starts over: each service sends few distinct headers.
    if (this.#entries.size >= this.maxEntries) this.#entries.clear()
    this.#entries.set(header, { account, validUntil })
  }

  forget(header: string): void {
    this.#entries.delete(header)
  }
}
