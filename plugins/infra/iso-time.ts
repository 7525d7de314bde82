// ISO 8601 UTC with Z, as DRF renders it (no fraction when there is none).
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : isoUtc(ms))
