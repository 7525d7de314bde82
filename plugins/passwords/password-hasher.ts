// Password hashing with argon2id. @node-rs/argon2 runs each hash on libuv's thread pool,
// so hashing never blocks the event loop; `npm start` sizes that pool to the cores
// (bin/keyturn-server.cjs). At most one hash per core plus one are handed to the pool at
// once: each holds KEYTURN_ARGON2_MEMORY_KIB while it runs, and more hashes than cores add
// memory, not throughput, wherever the process was started from (a pool started by the ES
// module loader has four threads); the one extra waits in the pool's queue, so no thread
// idles while the event loop hands out the next hash. The pool's file and DNS work waits
// behind one queued hash at most.
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2'
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { Limiter } from '../infra/limiter.js'

// Algorithm is a const enum in the package's types, which isolated modules cannot inline.
const ARGON2ID = 2 as Algorithm

export interface Argon2Params {
  memoryCost: number // KiB
  timeCost: number
  parallelism: number
}

// OWASP Password Storage Cheat Sheet, argon2id first option.
export const OWASP_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 }

export class PasswordHasher {
  readonly params: Argon2Params
  // Unknown users are checked against this, so they cost the same time as a wrong password.
  private readonly dummyHash: Promise<string>
  private readonly limiter: Limiter
  readonly #timed: Array<(seconds: number) => void> = []

  constructor(params: Argon2Params, concurrency = availableParallelism() + 1) {
    this.params = params
    this.limiter = new Limiter(Math.max(1, concurrency))
    this.dummyHash = this.hash(randomBytes(32).toString('hex'))
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => this.#time(() => hash(password, { algorithm: ARGON2ID, ...this.params })))
  }

  // Hashes waiting for a thread, and hashes running.
  get queued(): number {
    return this.limiter.waiting
  }

  get running(): number {
    return this.limiter.running
  }

  // Told how long each hash or verification took on its thread (the wait not counted).
  onTimed(listener: (seconds: number) => void): void {
    this.#timed.push(listener)
  }

  async #time<T>(task: () => Promise<T>): Promise<T> {
    if (this.#timed.length === 0) return task()
    const started = performance.now()
    try {
      return await task()
    } finally {
      const seconds = (performance.now() - started) / 1000
      for (const listener of this.#timed) listener(seconds)
    }
  }

  // Never throws for a malformed stored hash: that is a failed login, not a 500.
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    const target = storedHash ?? (await this.dummyHash)
    try {
      const ok = await this.limiter.run(() => this.#time(() => verify(target, password)))
      return storedHash !== undefined && ok
    } catch {
      return false
    }
  }

  // A hash made with weaker parameters than the configured ones is upgraded at next login.
  needsRehash(storedHash: string): boolean {
    try {
      const p = parseOptions(storedHash)
      return (
        p.algorithm !== ARGON2ID ||
        p.memoryCost < this.params.memoryCost ||
        p.timeCost < this.params.timeCost ||
        p.parallelism !== this.params.parallelism
      )
    } catch {
      return true
    }
  }
}
