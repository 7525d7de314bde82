// An entry is kept at most a tenth of a second past its expiry, whatever millisecond the
// instance started at: ticks count whole tenths, not tenths from the start's millisecond.
import t from 'tap'
import { RevokedSessions } from '../../../plugins/revocation/revoked-sessions.js'

t.test('an entry goes within a tenth of a second of its expiry, for a start at any millisecond of a tenth', async (t) => {
  const realNow = Date.now
  t.teardown(() => {
    Date.now = realNow
  })
  const kept: number[] = []
  for (let ms = 0; ms < 100; ms++) {
    Date.now = () => 1_764_000_000_000 + ms
    const sessions = new RevokedSessions(1000)
    Date.now = realNow
    sessions.add(7, 10_003) // expires at 11 003
    sessions.prune(11_100)
    if (sessions.has(7)) kept.push(ms)
  }
  t.same(kept, [], 'never held at the next tenth')
})
