// Request ids: a caller's X-Request-Id is kept when it is a plain token (so a gateway's id
// follows the request into Keyturn's log), anything else is replaced by a fresh UUID, so no
// header can put a line break, a quote or a kilobyte into a log line. The id is echoed on
// the answer (plugins/infra/http-headers.ts).
import { randomFillSync } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/

export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUuid()
}

// A version 4 UUID, as crypto.randomUUID() makes, from random bytes drawn a batch at a
// time. randomUUID() builds its string from twenty pieces, 580 bytes of garbage on every
// request (a twentieth of a verify's); here the hex is written into one buffer and read out
// as one string.
const BATCH = 128
const HEX = Buffer.from('0123456789abcdef', 'latin1')
let random = Buffer.alloc(0)
let used = 0
const text = Buffer.alloc(36)

export function randomUuid(): string {
  if (used === random.length) {
    random = randomFillSync(Buffer.allocUnsafeSlow(16 * BATCH))
    used = 0
  }
  let at = 0
  for (let i = 0; i < 16; i++) {
    let byte = random[used + i] as number
    if (i === 6) byte = (byte & 0x0f) | 0x40 // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80 // variant 10xx (RFC 9562)
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d
    text[at++] = HEX[byte >> 4] as number
    text[at++] = HEX[byte & 0x0f] as number
  }
  used += 16
  return text.toString('latin1', 0, 36)
}
