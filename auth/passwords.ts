// Password hashing with argon2id. @node-rs/argon2 runs each hash on libuv's thread pool,
// so hashing never blocks the event loop.
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2'
import { randomBytes } from 'node:crypto'

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

  constructor(params: Argon2Params) {
    this.params = params
    this.dummyHash = this.hash(randomBytes(32).toString('hex'))
  }

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.params })
  }

  // Never throws for a malformed stored hash: that is a failed login, not a 500.
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    const target = storedHash ?? (await this.dummyHash)
    try {
      const ok = await verify(target, password)
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
