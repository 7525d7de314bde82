const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

// "300" (seconds, as SimpleJWT's timedelta(seconds=300)), "300s", "15m", "12h", "7d", "250ms".
export function parseDuration(value: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(value.trim())
  if (!match) throw new Error(`not a duration: ${value}`)
  const unit = UNIT_MS[match[2] ?? 's'] ?? 1000
  return Number(match[1]) * unit
}
