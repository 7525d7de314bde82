// The per-account backoff kept in Redis, so it holds across instances. While Redis cannot
// be reached, each instance falls back to its own memory: the backoff weakens to per
// instance, it never switches off.
import type { Redis } from 'ioredis'
import { createHash } from 'node:crypto'
import { LoginThrottle, type Attempt, type Throttle } from './login-throttle.js'

// Atomically: answer the wait if there is one; otherwise forget failures after a quiet
// spell, count this attempt, and set the wait for the next. Returns the wait, or (when it
// let the attempt through) minus the failures in a row, this one included.
const ATTEMPT_SCRIPT = `
local now, free, maxd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local u0 = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if u0 > now then return u0 - now end
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local l = tonumber(redis.call('HGET', KEYS[1], 'l') or '0')
if now - l > maxd * 2 then f = 0 end
f = f + 1
local u = 0
if f > free then u = now + math.min(maxd, 1000 * 2 ^ (f - free - 1)) end
redis.call('HSET', KEYS[1], 'f', f, 'l', now, 'u', u)
redis.call('PEXPIRE', KEYS[1], maxd * 2)
return -f
`

export class RedisLoginThrottle implements Throttle {
  private readonly fallback: LoginThrottle

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly free: number,
    private readonly maxDelayMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.fallback = new LoginThrottle(free, maxDelayMs)
  }

  // Logins are hashed into the key: no username sits in Redis in clear.
  private key(login: string): string {
    return `${this.prefix}login-backoff:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex')}`
  }

  // A wait earned in this instance's memory while Redis was away still holds.
  async attempt(login: string, now: number): Promise<Attempt> {
    const local = this.fallback.waitMs(login, now)
    if (local > 0) return { wait: local, armsBackoff: false }
    try {
      const answer = Number(await this.redis.eval(ATTEMPT_SCRIPT, 1, this.key(login), now, this.free, this.maxDelayMs))
      return answer > 0 ? { wait: answer, armsBackoff: false } : { wait: 0, armsBackoff: -answer === this.free + 1 }
    } catch (err) {
      this.onError(err)
      return this.fallback.attempt(login, now)
    }
  }

  async succeeded(login: string): Promise<void> {
    await this.fallback.succeeded(login)
    try {
      await this.redis.del(this.key(login))
    } catch (err) {
      this.onError(err)
    }
  }
}
