// Tells an outage of the store (answer 503, change nothing) from a bug (answer 500).
const PG_UNAVAILABLE_CLASSES = ['08', '53', '57', '58'] // connection, resources, operator, system
// Only failures to reach a server: a reset socket may as well be the HTTP client's own.
const NODE_NET_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'])
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|CANTOPEN|FULL|PROTOCOL|NOTADB|CORRUPT|ABORT)/

// A statement this connection prepared before a migration changed its result columns
// (pg-prepared.ts): the connection is replaced, and the request may simply be tried again.
export function isOutdatedPreparedStatement(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type')
}

export function isStoreUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, message } = err as { code?: unknown; message?: unknown }
  if (isOutdatedPreparedStatement(err)) return true
  if (typeof code === 'string') {
    if (NODE_NET_CODES.has(code)) return true
    if (SQLITE_UNAVAILABLE.test(code)) return true
    if (/^[0-9A-Z]{5}$/.test(code) && PG_UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true
  }
  if (typeof message === 'string') {
    return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|driver has already been destroyed|database connection is not open/i.test(
      message,
    )
  }
  return false
}

// Input the store refuses as data (Postgres class 22: out-of-range numbers, over-long
// strings, invalid bytes) is the client's fault: a 400, never a 500.
export function isInvalidData(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)
}
