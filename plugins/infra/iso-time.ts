// ISO 8601 UTC with Z, as DRF renders it (no fraction when there is none). Written out by
// hand rather than through Date.toISOString: GET /api/user/ renders five dates a request,
// and the Date, its string and the replace() were why the profile kept a rendered copy of
// every cached user (about 400 bytes each, 40 MB for a full user cache). Dates outside years
// 1970-9999, which no row of Keyturn's holds, go through Date.
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n))

const DAY_MS = 86_400_000
const YEAR_10000_MS = 253_402_300_800_000

export function isoUtc(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString().replace('.000Z', 'Z')
  const days = Math.floor(ms / DAY_MS)
  let rest = ms - days * DAY_MS
  // Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
  // Algorithms", civil_from_days), for days >= 0.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1000)
  const millis = rest - seconds * 1000
  const time = `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}`
  return `${year}-${pad2(month)}-${pad2(day)}T${time}${millis === 0 ? '' : `.${pad3(millis)}`}Z`
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : isoUtc(ms))
