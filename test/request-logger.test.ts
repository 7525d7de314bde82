import Fastify from 'fastify'
import { Writable } from 'node:stream'
import t from 'tap'
import { lazyChildLogger } from '../request-logger.js'

// A Fastify server with the lazy request logger, its log lines collected as objects.
async function serverAt(level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      callback()
    },
  })
  const app = Fastify({ logger: { level, stream }, childLoggerFactory: lazyChildLogger })
  app.get('/quiet', async () => ({ ok: true }))
  app.get('/warns', async (request) => {
    request.log.info('not at warn')
    request.log.warn({ what: 'something' }, 'a warning')
    return { ok: true }
  })
  app.get('/own-level', { logLevel: 'debug' }, async (request) => {
    request.log.debug('debug on this route')
    return { ok: true }
  })
  await app.ready()
  return { app, lines }
}

t.test('at warn a quiet request makes no child and logs nothing', async (t) => {
  const { app, lines } = await serverAt('warn')
  t.teardown(() => app.close())
  const made: unknown[] = []
  const child = app.log.child.bind(app.log)
  app.log.child = (...args: Parameters<typeof child>) => {
    made.push(args[0])
    return child(...args)
  }
  t.equal((await app.inject('/quiet')).statusCode, 200)
  t.same(made, [])
  t.same(lines, [])
})

t.test('a request that logs gets its reqId bound, at the levels the server logs', async (t) => {
  const { app, lines } = await serverAt('warn')
  t.teardown(() => app.close())
  const res = await app.inject('/warns')
  t.equal(res.statusCode, 200)
  t.equal(lines.length, 1)
  t.match(lines[0], { level: 40, msg: 'a warning', what: 'something', reqId: String })
})

t.test('at info, the request lines carry the reqId as before', async (t) => {
  const { app, lines } = await serverAt('info')
  t.teardown(() => app.close())
  await app.inject('/quiet')
  const messages = lines.map((l) => l.msg)
  t.same(messages, ['incoming request', 'request completed'])
  t.ok(lines.every((l) => typeof l.reqId === 'string' && l.reqId === lines[0]?.reqId))
})

t.test("a route's own log level still applies", async (t) => {
  const { app, lines } = await serverAt('warn')
  t.teardown(() => app.close())
  await app.inject('/own-level')
  t.ok(lines.some((l) => l.msg === 'debug on this route' && typeof l.reqId === 'string'))
})
