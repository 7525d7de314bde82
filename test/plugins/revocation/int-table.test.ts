import t from 'tap'
import { IntTable } from '../../../plugins/revocation/int-table.js'

t.test('answers as a Map does through growth, overwrites, raises and deletions', async (t) => {
  const table = new IntTable()
  const map = new Map<number, number>()
  // A small deterministic generator: the same run every time.
  let seed = 12345
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x1_0000_0000)
  // Keys crowded into a narrow range collide and form long runs, which deletion must keep whole.
  const keyOf = () => {
    const r = random()
    return r < 0.6 ? Math.floor(random() * 5000) : r < 0.9 ? 2 ** 40 + Math.floor(random() * 3000) * 2 ** 32 : Math.floor(random() * Number.MAX_SAFE_INTEGER)
  }
  let mismatches = 0
  for (let step = 0; step < 200_000; step++) {
    const key = keyOf()
    const op = random()
    if (op < 0.4) {
      const value = Math.floor(random() * 1e9)
      table.set(key, value)
      map.set(key, value)
    } else if (op < 0.55) {
      // raise: the larger of what is held and what is given, true when that changed anything.
      const value = Math.floor(random() * 1e9)
      const held = map.get(key)
      const raises = held === undefined || held < value
      if (raises) map.set(key, value)
      if (table.raise(key, value) !== raises) mismatches++
    } else if (op < 0.85) {
      if (table.delete(key) !== map.delete(key)) mismatches++
    } else if (table.get(key) !== map.get(key)) mismatches++
    if (table.size !== map.size) mismatches++
  }
  t.equal(mismatches, 0, 'every answer and size along the way')
  for (const [key, value] of map) if (table.get(key) !== value) mismatches++
  t.equal(mismatches, 0, 'every key kept at the end')
  t.ok(map.size > 1024, `grown past its first size (${map.size} keys)`)
})

t.test('consecutive ids, a million of them, in and out', async (t) => {
  const table = new IntTable()
  for (let sid = 1; sid <= 1_000_000; sid++) table.set(sid, sid * 2)
  t.equal(table.size, 1_000_000)
  t.equal(table.get(1), 2)
  t.equal(table.get(1_000_000), 2_000_000)
  t.equal(table.get(1_000_001), undefined)
  for (let sid = 1; sid <= 1_000_000; sid += 2) table.delete(sid)
  t.equal(table.size, 500_000)
  let wrong = 0
  for (let sid = 1; sid <= 1_000_000; sid++) if (table.has(sid) !== (sid % 2 === 0)) wrong++
  t.equal(wrong, 0, 'the even ones stay, the odd ones are gone')
})

t.test('odd keys from a hand-written row do not break it', async (t) => {
  const table = new IntTable()
  table.set(Number.NaN, 1)
  t.equal(table.size, 0, 'NaN is not kept')
  t.equal(table.get(Number.NaN), undefined)
  for (const key of [0, -1, 1.5, 2 ** 60, -(2 ** 60)]) table.set(key, 7)
  t.equal(table.size, 5)
  for (const key of [0, -1, 1.5, 2 ** 60, -(2 ** 60)]) t.equal(table.get(key), 7, String(key))
  t.equal(table.delete(-1), true)
  t.equal(table.delete(-1), false)
})

t.test('room reserved at once keeps what it holds, and a million keys fit without another growth', async (t) => {
  const table = new IntTable()
  for (let key = 1; key <= 3000; key++) table.set(key, key)
  table.reserve(1_000_000)
  table.reserve(10) // less than it holds: nothing changes
  t.equal(table.size, 3000)
  let wrong = 0
  for (let key = 1; key <= 3000; key++) if (table.get(key) !== key) wrong++
  t.equal(wrong, 0, 'every key kept through the growth')
  for (let key = 3001; key <= 1_000_000; key++) table.raise(key, key)
  t.equal(table.size, 1_000_000)
  t.equal(table.get(1_000_000), 1_000_000)
  t.equal(table.get(1_000_001), undefined)
})
