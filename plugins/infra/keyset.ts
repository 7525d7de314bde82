// Keyset ("cursor") pagination, as DRF's CursorPagination: a page is the rows after (or
// before) a position in the listing's order, read from an index in that order, so the last
// page costs what the first does. No offset, no count. The cursor is opaque to clients:
// base64url of {"p": position, "r": 1 when it reads backwards}.

export interface Cursor {
  // The sort key of the row the page starts after; none: from an end of the listing.
  position?: number[]
  // Backwards: the rows before `position` (or the last page, without one).
  reverse: boolean
}

export const FIRST_PAGE: Cursor = { reverse: false }
export const LAST_PAGE: Cursor = { reverse: true }

export function encodeCursor(cursor: Cursor): string {
  const body: { p?: number[]; r?: 1 } = {}
  if (cursor.position) body.p = cursor.position
  if (cursor.reverse) body.r = 1
  return Buffer.from(JSON.stringify(body)).toString('base64url')
}

// undefined for anything this module did not write with `width` keys.
export function decodeCursor(text: string, width: number): Cursor | undefined {
  if (text.length > 200 || !/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const { p, r } = body as { p?: unknown; r?: unknown }
  if (r !== undefined && r !== 1) return undefined
  if (p === undefined) return { reverse: r === 1 }
  if (!Array.isArray(p) || p.length !== width || !p.every((v) => Number.isSafeInteger(v))) return undefined
  return { position: p as number[], reverse: r === 1 }
}

// How to read a page: compare the key to the position with `op` and sort `order`, limit+1
// rows (the one extra says whether more lie beyond).
export function readPlan(displayOrder: 'asc' | 'desc', cursor: Cursor): { op: '<' | '>'; order: 'asc' | 'desc' } {
  const forwardOp = displayOrder === 'desc' ? '<' : '>'
  if (!cursor.reverse) return { op: forwardOp, order: displayOrder }
  return { op: forwardOp === '<' ? '>' : '<', order: displayOrder === 'desc' ? 'asc' : 'desc' }
}

export interface KeysetPage<T> {
  rows: T[]
  next: Cursor | null
  previous: Cursor | null
}

// The page from the limit+1 rows read by `readPlan`, in display order, with its neighbours.
export function keysetPage<T>(read: T[], limit: number, cursor: Cursor, keyOf: (row: T) => number[]): KeysetPage<T> {
  const more = read.length > limit
  const rows = read.slice(0, limit)
  if (cursor.reverse) rows.reverse()
  const first = rows[0]
  const last = rows[rows.length - 1]
  if (!cursor.reverse) {
    return {
      rows,
      next: more && last ? { position: keyOf(last), reverse: false } : null,
      previous: cursor.position ? { position: first ? keyOf(first) : cursor.position, reverse: true } : null,
    }
  }
  return {
    rows,
    next: cursor.position ? { position: last ? keyOf(last) : cursor.position, reverse: false } : null,
    previous: more && first ? { position: keyOf(first), reverse: true } : null,
  }
}
