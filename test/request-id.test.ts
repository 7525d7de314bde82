import t from 'tap'
import { requestId } from '../request-id.js'
import type { IncomingMessage } from 'node:http'

const fresh = () => requestId({ headers: {} } as unknown as IncomingMessage)

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('a fresh id is a version 4 UUID, each new', async (t) => {
  const seen = new Set<string>()
  let malformed = 0
  for (let i = 0; i < 20_000; i++) {
    const id = fresh()
    if (!V4.test(id)) malformed++
    seen.add(id)
  }
  t.equal(malformed, 0, 'every one is a v4 UUID with the RFC 9562 variant')
  t.equal(seen.size, 20_000, 'no repeats')
  // Each hex digit that is random takes all 16 values somewhere: the bytes are used whole.
  const digits = new Set([...seen].join('').replaceAll('-', ''))
  t.equal(digits.size, 16)
})

t.test("a caller's plain id is kept; anything else is replaced", async (t) => {
  const given = (value: string | string[] | undefined) => requestId({ headers: { 'x-request-id': value } } as unknown as IncomingMessage)
  t.equal(given('gw-1234.abc_DEF'), 'gw-1234.abc_DEF')
  t.match(given('bad id with spaces'), V4)
  t.match(given('x'.repeat(129)), V4)
  t.match(given(['a', 'b']), V4)
  t.match(given(undefined), V4)
})
