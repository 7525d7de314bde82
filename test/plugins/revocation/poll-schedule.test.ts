// When the revocation log is read: every pollMs while it moves or without a signal; on the
// signal (at most once per pollMs) and every quietMs while it is quiet.
import t from 'tap'
import type { ChangeSignal } from '../../../plugins/infra/store/change-signal.js'
import { schedulePolls } from '../../../plugins/revocation/poll-schedule.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// A signal driven by the test: `change()` tells the armed reader, `usable` says whether it can arm.
function testSignal() {
  let told: (() => void) | undefined
  const signal = {
    usable: true,
    arms: 0,
    closed: false,
    get armed() {
      return told !== undefined
    },
    change() {
      const onChange = told
      told = undefined
      onChange?.()
    },
    async arm(onChange: () => void) {
      if (!signal.usable) return false
      signal.arms++
      told = onChange
      return true
    },
    disarm() {
      told = undefined
    },
    async close() {
      signal.closed = true
    },
  } satisfies ChangeSignal & Record<string, unknown>
  return signal
}

// A log whose reads find `pending` rows (then none), each read timed.
function testLog() {
  const log = { pending: 0, reads: [] as number[], fail: false }
  const poll = async () => {
    log.reads.push(Date.now())
    if (log.fail) throw new Error('store down')
    const rows = log.pending
    log.pending = 0
    return rows
  }
  return { log, poll }
}

t.test('without a signal the log is read every pollMs', async (t) => {
  const { log, poll } = testLog()
  const polls = schedulePolls({ poll, pollMs: 50, quietMs: 1000, signal: undefined, onError: () => {} })
  t.teardown(() => polls.stop())
  await sleep(530)
  t.ok(log.reads.length >= 8 && log.reads.length <= 11, `${log.reads.length} reads in 530 ms`)
})

t.test('a quiet log: the signal is armed, then a read every quietMs', async (t) => {
  const { log, poll } = testLog()
  const signal = testSignal()
  const polls = schedulePolls({ poll, pollMs: 50, quietMs: 400, signal, onError: () => {} })
  t.teardown(() => polls.stop())
  await sleep(120)
  t.ok(signal.armed, 'armed after the first quiet read')
  // The first read, and the one that covers the arming.
  t.equal(log.reads.length, 2)
  await sleep(900)
  t.ok(log.reads.length >= 3 && log.reads.length <= 5, `then one read per quietMs (${log.reads.length} in all)`)
  t.equal(signal.arms, 1, 'armed once: a read while armed does not arm again')
})

t.test('a change is read at once, or pollMs after the last read, and the log is then read every pollMs until quiet again', async (t) => {
  const { log, poll } = testLog()
  const signal = testSignal()
  const polls = schedulePolls({ poll, pollMs: 100, quietMs: 5000, signal, onError: () => {} })
  t.teardown(() => polls.stop())
  await sleep(300)
  t.ok(signal.armed)
  const before = log.reads.length
  log.pending = 3
  const toldAt = Date.now()
  signal.change()
  await sleep(50)
  t.equal(log.reads.length, before + 1, 'read at once (the last read was more than pollMs ago)')
  t.ok((log.reads.at(-1) as number) - toldAt < 30)
  t.notOk(signal.armed, 'no longer armed: the log moves')
  await sleep(120)
  t.ok(log.reads.length >= before + 2, 'read again pollMs later')
  t.ok((log.reads[before + 1] as number) - (log.reads[before] as number) >= 95, 'not sooner')
  await sleep(250)
  t.ok(signal.armed, 'armed again once a read found nothing')
  const armedReads = log.reads.length
  await sleep(300)
  t.equal(log.reads.length, armedReads, 'and quiet: no read until the next change or quietMs')
  signal.change()
  signal.change()
  await sleep(20)
  t.equal(log.reads.length, armedReads + 1, 'a change told twice is one read')
})

t.test('a change right after a read waits until pollMs has passed since it', async (t) => {
  const { log, poll } = testLog()
  const signal = testSignal()
  const polls = schedulePolls({ poll, pollMs: 200, quietMs: 5000, signal, onError: () => {} })
  t.teardown(() => polls.stop())
  await sleep(250)
  t.ok(signal.armed)
  const last = log.reads.at(-1) as number
  signal.change()
  await sleep(250)
  const next = log.reads.find((at) => at > last) as number
  t.ok(next - last >= 195, `read ${next - last} ms after the last`)
})

t.test('a signal that cannot arm, or a failing read, means reading every pollMs', async (t) => {
  const { log, poll } = testLog()
  const signal = testSignal()
  signal.usable = false
  const errors: unknown[] = []
  const polls = schedulePolls({ poll, pollMs: 50, quietMs: 5000, signal, onError: (err) => errors.push(err) })
  t.teardown(() => polls.stop())
  await sleep(280)
  t.ok(log.reads.length >= 4, `${log.reads.length} reads while the signal cannot arm`)
  signal.usable = true
  await sleep(150)
  t.ok(signal.armed)
  log.fail = true
  signal.change()
  const failing = log.reads.length
  await sleep(280)
  t.ok(log.reads.length - failing >= 4, 'a failing read is tried again every pollMs')
  t.notOk(signal.armed, 'not armed while reads fail')
  t.ok(errors.length >= 4)
})

t.test('stop() ends the reads and closes the signal', async (t) => {
  const { log, poll } = testLog()
  const signal = testSignal()
  const polls = schedulePolls({ poll, pollMs: 50, quietMs: 100, signal, onError: () => {} })
  await sleep(120)
  await polls.stop()
  const reads = log.reads.length
  signal.change()
  await sleep(200)
  t.equal(log.reads.length, reads)
  t.ok(signal.closed)
})
