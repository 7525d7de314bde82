// Lets one event per key through per window: a client hammering a limit gets one audit row
// a minute, not one per refused request (the trail must not become the attacker's lever).
export class RepeatFilter {
  private readonly until = new Map<string, number>()

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  // True the first time a key is seen in its window.
  admit(key: string, now: number): boolean {
    const until = this.until.get(key)
    if (until !== undefined && until > now) return false
    if (this.until.size >= this.maxKeys) this.prune(now)
    this.until.set(key, now + this.windowMs)
    return true
  }

  private prune(now: number): void {
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key)
    // Still full of live keys (many addresses at once): forget them all rather than grow.
    if (this.until.size >= this.maxKeys) this.until.clear()
  }
}
