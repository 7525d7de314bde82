import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { LineBuffer } from '../log-buffer.js'

// What reaches standard output: the chunks, and how often it was told to flush.
function recorder() {
  const out = {
    chunks: [] as string[],
    syncs: 0,
    write(chunk: string) {
      out.chunks.push(chunk)
    },
    flushSync() {
      out.syncs++
    },
  }
  return out
}

t.test('lines are held until a chunk is full, then written at once, in order', async (t) => {
  const out = recorder()
  const buffer = new LineBuffer(out, 30, 10_000)
  buffer.write('{"n":1}\n')
  buffer.write('{"n":2}\n')
  buffer.write('{"n":3}\n')
  t.same(out.chunks, [], 'under the chunk size nothing is written yet')
  buffer.write('{"n":4}\n')
  t.same(out.chunks, ['{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n'], 'one write holds the four lines in their order')
  buffer.write('{"n":5}\n')
  buffer.flushSync()
  t.same(out.chunks.at(-1), '{"n":5}\n')
})

t.test('a line waits no longer than the delay, and an idle buffer writes nothing', async (t) => {
  const out = recorder()
  const buffer = new LineBuffer(out, 4096, 20)
  buffer.write('{"msg":"alone"}\n')
  t.same(out.chunks, [])
  await sleep(80)
  t.same(out.chunks, ['{"msg":"alone"}\n'], 'written after the delay though the chunk is far from full')
  await sleep(60)
  t.equal(out.chunks.length, 1, 'no empty writes while nothing is logged')
  buffer.write('{"msg":"later"}\n')
  await sleep(80)
  t.same(out.chunks, ['{"msg":"alone"}\n', '{"msg":"later"}\n'], 'a line after a quiet spell has its own timer')
})

t.test('flushSync writes what is held and flushes the stream; flush(cb) calls back after writing', async (t) => {
  const out = recorder()
  const buffer = new LineBuffer(out, 4096, 10_000)
  buffer.write('a\n')
  buffer.flushSync()
  t.same(out.chunks, ['a\n'])
  t.equal(out.syncs, 1)
  buffer.write('b\n')
  await new Promise<void>((resolve) => buffer.flush(() => resolve()))
  t.same(out.chunks, ['a\n', 'b\n'])
})
