// The per-account backoff kept in Redis, so it holds across instances. While Redis cannot
// be reached, each instance falls back to its own memory: the backoff weakens to per
// instance, it never switches off.
import type { Redis } from 'ioredis'
import { createHash } from 'node:crypto'
import { LoginThrottle, type Throttle } from './login-throttle.js'

// Atomically: forget failures after a quiet spell, count this one, set the wait.
const FAIL_SCRIPT = `
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local l = tonumber(redis.call('HGET', KEYS[1], 'l') or '0')
local now, free, maxd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if now - l > maxd * 2 then f = 0 end
f = f + 1
local u = 0
if f > free then u = now + math.min(maxd, 1000 * 2 ^ (f - free - 1)) end
redis.call('HSET', KEYS[1], 'f', f, 'l', now, 'u', u)
redis.call('PEXPIRE', KEYS[1], maxd * 2)
return u
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

  async waitMs(login: string, now: number): Promise<number> {
    try {
      const until = Number((await this.redis.hget(this.key(login), 'u')) ?? 0)
      return Math.max(0, until - now, await this.fallback.waitMs(login, now))
    } catch (err) {
      this.onError(err)
      return this.fallback.waitMs(login, now)
    }
  }

  async failed(login: string, now: number): Promise<void> {
    try {
      await this.redis.eval(FAIL_SCRIPT, 1, this.key(login), now, this.free, this.maxDelayMs)
    } catch (err) {
      this.onError(err)
      await this.fallback.failed(login, now)
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
