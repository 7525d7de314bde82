import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { UnexpectedLines } from '../../bench/kept-log.js'

const line = (fields: string) => `{"level":30,"time":1,"pid":2,"hostname":"h",${fields},"msg":"request"}`

t.test("a run's non-2xx access lines and its warnings are kept, counted by route and status", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kept-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const log = [
    line('"reqId":"a","method":"POST","route":"/api/token/introspect/","status":200,"ms":1'),
    line('"reqId":"b","method":"POST","route":"/api/token/introspect/","status":503,"ms":1'),
    line('"reqId":"c","method":"POST","route":"/api/token/introspect/","status":503,"ms":1'),
    line('"reqId":"d","method":"GET","route":null,"status":404,"ms":1'),
    '{"level":40,"time":1,"msg":"revocation poll failed"}',
    '{"level":30,"time":1,"msg":"server listening"}',
    '',
  ].join('\n')
  const file = join(dir, 'run-non2xx.log')
  const unexpected = new UnexpectedLines()
  for (const l of log.split('\n')) unexpected.add(l)
  unexpected.write(file)
  const { lines, byRouteAndStatus } = unexpected
  t.equal(lines, 4)
  t.same(byRouteAndStatus, { 'POST "/api/token/introspect/" 503': 2, 'GET null 404': 1 })
  const kept = readFileSync(file, 'utf8').trim().split('\n')
  t.same(JSON.parse(kept[0] as string), { lines: 4, byRouteAndStatus })
  t.equal(kept.length, 5, 'the summary and the four lines')
  t.notOk(kept.some((l) => l.includes('"reqId":"a"') || l.includes('server listening')), 'nothing that went well')
})
