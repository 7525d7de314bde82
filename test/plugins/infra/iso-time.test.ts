import t from 'tap'
import { isoOrNull, isoUtc } from '../../../plugins/infra/iso-time.js'

const byDate = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z')

t.test('isoUtc writes what Date.toISOString writes, without a zero fraction', async (t) => {
  t.equal(isoUtc(0), '1970-01-01T00:00:00Z')
  t.equal(isoUtc(951_782_400_000), '2000-02-29T00:00:00Z', 'a leap day of a year divisible by 400')
  t.equal(isoUtc(4_107_542_399_999), '2100-02-28T23:59:59.999Z', 'not a leap year, divisible by 100')
  t.equal(isoUtc(1_764_590_400_005), '2025-12-01T12:00:00.005Z')
  t.equal(isoUtc(253_402_300_799_999), '9999-12-31T23:59:59.999Z')
  // Every day of four centuries at a random time, and random instants.
  let mismatches = 0
  for (let day = 0; day < 146_097 + 366; day += 1) {
    const ms = day * 86_400_000 + Math.floor(Math.random() * 86_400_000)
    if (isoUtc(ms) !== byDate(ms)) mismatches++
  }
  for (let i = 0; i < 100_000; i++) {
    const ms = Math.floor(Math.random() * 253_402_300_800_000)
    const whole = ms - (ms % 1000)
    if (isoUtc(ms) !== byDate(ms) || isoUtc(whole) !== byDate(whole)) mismatches++
  }
  t.equal(mismatches, 0)
})

t.test('outside 1970-9999, and null', async (t) => {
  for (const ms of [-1, -86_400_001, 253_402_300_800_000, 1.5]) t.equal(isoUtc(ms), byDate(ms))
  t.equal(isoOrNull(null), null)
  t.equal(isoOrNull(1000), '1970-01-01T00:00:01Z')
})
