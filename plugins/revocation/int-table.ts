// A map from integers to numbers held in a typed array (open addressing, linear probing,
// deletion by shifting the run back): the revoked-session table. A JavaScript Map of a
// million entries is one object the collector walks on every full collection, and grows by
// copying itself on the heap; here the entries live outside the heap, 16 bytes a slot, and a
// full collection does not look at them. At most half the slots are used, so a probe rarely
// goes past its first slot. A slot's key and value sit side by side: a look-up in a table of
// a million, which misses the processor's caches, misses them once rather than once for the
// key and again for the value.
//
// Keys are session ids (any number but NaN works); values are numbers (forget-at ticks).

import { doubledUntil } from '../infra/power-of-two.js'

const EMPTY = Number.NaN
const MIN_SLOTS = 1024

export class IntTable {
  // Slot i: its key at 2i (NaN when empty), its value at 2i + 1.
  #slots = emptySlots(MIN_SLOTS)
  #mask = MIN_SLOTS - 1
  #size = 0

  get size(): number {
    return this.#size
  }

  get(key: number): number | undefined {
    const slots = this.#slots
    const mask = this.#mask
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const k = slots[2 * i] as number
      if (k === key) return slots[2 * i + 1]
      if (k !== k) return undefined // NaN: an empty slot ends the run
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined
  }

  set(key: number, value: number): void {
    this.#put(key, value, false)
  }

  // Sets the key's value to `value` unless it already holds one at least as large; true when
  // it did. One probe where get-then-set made two: a start reads a million of these.
  raise(key: number, value: number): boolean {
    return this.#put(key, value, true)
  }

  #put(key: number, value: number, onlyLarger: boolean): boolean {
    // NaN marks an empty slot; no session has it as its id. (Whatever else a row of the log
    // holds is kept as given: a poll must never fail on one odd row.)
    if (key !== key) return false
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow()
    const slots = this.#slots
    const mask = this.#mask
    for (let i = slotOf(key, mask); ; i = (i + 1) & mask) {
      const k = slots[2 * i] as number
      if (k === key) {
        if (onlyLarger && (slots[2 * i + 1] as number) >= value) return false
        slots[2 * i + 1] = value
        return true
      }
      if (k !== k) {
        slots[2 * i] = key
        slots[2 * i + 1] = value
        this.#size++
        return true
      }
    }
  }

  delete(key: number): boolean {
    const slots = this.#slots
    const mask = this.#mask
    let i = slotOf(key, mask)
    for (; ; i = (i + 1) & mask) {
      const k = slots[2 * i] as number
      if (k === key) break
      if (k !== k) return false
    }
    // Every later entry of the run that may live at i (its home slot is not between i and
    // where it sits) moves back into the gap, so no run is broken by an empty slot.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = slots[2 * j] as number
      if (k !== k) break
      const home = slotOf(k, mask)
      const fits = i <= j ? home <= i || home > j : home <= i && home > j
      if (fits) {
        slots[2 * i] = k
        slots[2 * i + 1] = slots[2 * j + 1] as number
        i = j
      }
    }
    slots[2 * i] = EMPTY
    this.#size--
    return true
  }

  // Room for `entries` in all, made at once: a start that knows how many it is about to read
  // (a mass logout's million) rehashes nothing on the way, where doubling from the smallest
  // table rehashed about as many entries again.
  reserve(entries: number): void {
    const count = doubledUntil(this.#mask + 1, entries * 2)
    if (count > this.#mask + 1) this.#grow(count)
  }

  #grow(count = (this.#mask + 1) * 2): void {
    const old = this.#slots
    this.#slots = emptySlots(count)
    this.#mask = count - 1
    this.#size = 0
    for (let i = 0; i < old.length; i += 2) {
      const k = old[i] as number
      if (k === k) this.set(k, old[i + 1] as number)
    }
  }
}

// `count` empty slots: every key NaN.
function emptySlots(count: number): Float64Array {
  const slots = new Float64Array(2 * count)
  for (let i = 0; i < slots.length; i += 2) slots[i] = EMPTY
  return slots
}

// The home slot of a key: its two 32-bit halves mixed (murmur3's finalizer), so ids that
// differ in their low bits only, as consecutive session ids do, spread over the table.
function slotOf(key: number, mask: number): number {
  let h = (key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) & mask
}
