// Access tokens verified before, remembered by digest alone: the verified-token cache's second
// tier (verified-token-cache.ts), for the tokens its entries cannot hold. A gateway verifying
// for 100 000 users or more sees each token too seldom to keep it as an object: an entry with
// its claims costs about 250 bytes of heap, and the old generation holds it until it is
// evicted. Here a token is 20 bytes in two typed arrays outside the heap (the first 16 bytes
// of its SHA-256, and its exp), which the collector never walks; a token found here skips the
// MAC and is only decoded again (its payload parsed and its claims checked), about a third of
// the cost of verifying it.
//
// Why it is safe: a hit needs 128 bits of a verified token's SHA-256, a second preimage of a
// chosen one of at most a few million digests: about 2^106 tries, out of reach as forging the
// MAC is. An entry is used only until its token's exp (the leeway added), and says nothing
// about revocation, which every caller checks after decoding.
//
// Set-associative: a slot's four ways are the only places a digest can be; a new digest takes
// an empty way, or the way whose token expires first. So a lookup reads at most four slots,
// the table never grows past what it was given (allocated zeroed: the system hands the pages
// over as they are first written, so an idle instance's memory does not pay for it), and no
// digest is ever moved or deleted but by clear().
import { doubledUntil } from '../infra/power-of-two.js'

const WAYS = 4
const MIN_SETS = 1024

export class VerifiedDigests {
  // Four 32-bit words of digest a slot, and the token's exp (seconds; 0: an empty slot).
  #words: Int32Array
  #expires: Uint32Array
  readonly #setMask: number

  // Room for `tokens` digests (rounded up to a power of two of four-way sets; 0: none).
  constructor(tokens: number) {
    const sets = tokens > 0 ? doubledUntil(MIN_SETS, Math.ceil(tokens / WAYS)) : 0
    this.#words = new Int32Array(sets * WAYS * 4)
    this.#expires = new Uint32Array(sets * WAYS)
    this.#setMask = sets - 1
  }

  get capacity(): number {
    return this.#expires.length
  }

  // The exp (seconds) of the token whose digest this is, or 0 when it is not here.
  expiryOf(digest: string): number {
    if (this.#setMask < 0) return 0
    const w0 = word(digest, 0)
    const w1 = word(digest, 4)
    const w2 = word(digest, 8)
    const w3 = word(digest, 12)
    const first = (w0 & this.#setMask) * WAYS
    for (let slot = first; slot < first + WAYS; slot++) {
      const at = slot * 4
      const words = this.#words
      if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) return this.#expires[slot] as number
    }
    return 0
  }

  add(digest: string, exp: number): void {
    if (this.#setMask < 0 || !(exp > 0)) return
    const w0 = word(digest, 0)
    const w1 = word(digest, 4)
    const w2 = word(digest, 8)
    const w3 = word(digest, 12)
    const first = (w0 & this.#setMask) * WAYS
    const words = this.#words
    // The digest's own way, an empty one, or the way that expires first.
    let chosen = first
    for (let slot = first; slot < first + WAYS; slot++) {
      const at = slot * 4
      const expires = this.#expires[slot] as number
      if (expires === 0 || (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3)) {
        chosen = slot
        break
      }
      if (expires < (this.#expires[chosen] as number)) chosen = slot
    }
    const at = chosen * 4
    words[at] = w0
    words[at + 1] = w1
    words[at + 2] = w2
    words[at + 3] = w3
    this.#expires[chosen] = Math.min(exp, 0xffffffff)
  }

  // New zeroed arrays rather than fill(0), which would write every page of the table and so
  // make the whole of it resident, however little of it was in use.
  clear(): void {
    this.#words = new Int32Array(this.#words.length)
    this.#expires = new Uint32Array(this.#expires.length)
  }
}

// Four one-byte characters of a binary digest as one 32-bit word.
function word(digest: string, at: number): number {
  return digest.charCodeAt(at) | (digest.charCodeAt(at + 1) << 8) | (digest.charCodeAt(at + 2) << 16) | (digest.charCodeAt(at + 3) << 24)
}
