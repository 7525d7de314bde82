// What console pages read from forms and links, and how they refuse it: one page size,
// UTC times from datetime-local inputs, 400 pages that say what to fix.
import { ApiError } from '../infra/api-error.js'

export const PAGE_SIZE = 25

export function refused(message: string): ApiError {
  return new ApiError(400, { detail: message })
}

export function invalidPageLink(): ApiError {
  return refused('That page link is not valid any more. Start again from the first page.')
}

// A datetime-local value ("2027-01-31T12:00"), read as UTC; empty: none.
export function utcTime(value: string | undefined): number | undefined {
  if (!value) return undefined
  const ms = Date.parse(/Z|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`)
  if (!Number.isFinite(ms)) throw refused('That is not a date and time.')
  return ms
}
