import { hash, randomBytes } from 'node:crypto'
import t from 'tap'
import { VerifiedDigests } from '../../../plugins/tokens/verified-digests.js'

const digestOf = (text: string) => hash('sha256', text, 'binary')
// A digest whose first word is `first` (so its set is chosen), the rest random.
const withFirstWord = (first: number) => {
  const rest = randomBytes(28).toString('binary')
  return String.fromCharCode(first & 0xff, (first >>> 8) & 0xff, (first >>> 16) & 0xff, (first >>> 24) & 0xff) + rest
}

t.test('a digest added is found with its exp; another is not', async (t) => {
  const digests = new VerifiedDigests(100)
  const a = digestOf('token a')
  digests.add(a, 2_000_000_000)
  t.equal(digests.expiryOf(a), 2_000_000_000)
  t.equal(digests.expiryOf(digestOf('token b')), 0)
})

t.test('all 16 bytes must match, not just the word that picks the set', async (t) => {
  const digests = new VerifiedDigests(100)
  const a = digestOf('token a')
  digests.add(a, 1000)
  for (const at of [0, 4, 8, 15]) {
    const other = a.slice(0, at) + String.fromCharCode(a.charCodeAt(at) ^ 1) + a.slice(at + 1)
    t.equal(digests.expiryOf(other), 0, `byte ${at} differs`)
  }
  const beyond = a.slice(0, 16) + String.fromCharCode(a.charCodeAt(16) ^ 1) + a.slice(17)
  t.equal(digests.expiryOf(beyond), 1000, 'the bytes past the 16 kept are not compared')
})

t.test('a full set gives up the way that expires first; the others stay', async (t) => {
  const digests = new VerifiedDigests(1)
  // Same set: the same first word modulo the sets; different digests past it.
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => withFirstWord(0x12345678))
  digests.add(a as string, 500)
  digests.add(b as string, 100)
  digests.add(c as string, 300)
  digests.add(d as string, 400)
  digests.add(e as string, 600)
  t.equal(digests.expiryOf(b as string), 0, 'the soonest to expire made room')
  for (const [digest, exp] of [[a, 500], [c, 300], [d, 400], [e, 600]] as const) t.equal(digests.expiryOf(digest as string), exp)
  // Another set is untouched.
  const elsewhere = withFirstWord(0x12345679)
  digests.add(elsewhere, 50)
  t.equal(digests.expiryOf(elsewhere), 50)
  t.equal(digests.expiryOf(a as string), 500)
})

t.test('sized 0, nothing is kept; capacity rounds up to four-way sets; clear() forgets all', async (t) => {
  const none = new VerifiedDigests(0)
  none.add(digestOf('x'), 100)
  t.equal(none.expiryOf(digestOf('x')), 0)
  t.equal(none.capacity, 0)
  t.equal(new VerifiedDigests(1).capacity, 4096, 'at least 1 024 sets')
  t.equal(new VerifiedDigests(500_000).capacity, 524_288)
  const digests = new VerifiedDigests(10)
  digests.add(digestOf('x'), 100)
  digests.add(digestOf('y'), 0)
  t.equal(digests.expiryOf(digestOf('y')), 0, 'no exp, not kept')
  digests.clear()
  t.equal(digests.expiryOf(digestOf('x')), 0)
})

// A set holds four: at 200 000 in 131 072 sets (1.5 a set), the sets dealt five or more give
// about 1.7 % up (Poisson), which is what a bounded table costs.
t.test('200 000 digests in a table for 500 000: nearly all are found', async (t) => {
  const digests = new VerifiedDigests(500_000)
  const all = Array.from({ length: 200_000 }, (_, i) => digestOf(`token ${i}`))
  for (const d of all) digests.add(d, 1000)
  const found = all.filter((d) => digests.expiryOf(d) === 1000).length
  t.ok(found > 0.97 * all.length, `${found} of 200 000 found`)
})
