// Request ids: a caller's X-Request-Id is kept when it is a plain token (so a gateway's id
// follows the request into Keyturn's log), anything else is replaced by a fresh UUID, so no
// header can put a line break, a quote or a kilobyte into a log line. The id is echoed on
// the answer (plugins/infra/http-headers.ts).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/

export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID()
}
