// Token ids: SimpleJWT's shape (32 hex digits), time-ordered so that the refresh_tokens index
// grows at its end (plugins/tokens.ts), and still unguessable.
import t from 'tap'
import { newJti } from '../../../plugins/tokens/token-claims.js'

t.test('a jti is 32 hex digits of a UUIDv7: its time first, then 74 random bits', async (t) => {
  const now = Date.UTC(2026, 10, 24, 3, 40)
  const jti = newJti(now)
  t.match(jti, /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/)
  t.equal(parseInt(jti.slice(0, 12), 16), now, 'the milliseconds it was issued at')
  const same = new Set(Array.from({ length: 1000 }, () => newJti(now)))
  t.equal(same.size, 1000, 'ids of one millisecond still differ')
})

t.test('jtis sort in the order they were issued, across milliseconds', async (t) => {
  const start = Date.UTC(2026, 10, 24)
  const issued = Array.from({ length: 500 }, (_, i) => newJti(start + i * 7))
  t.same([...issued].sort(), issued)
})
