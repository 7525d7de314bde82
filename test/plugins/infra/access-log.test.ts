// The access log: one line per request at info, with the route template, status, duration,
// request id, client IP and, when authenticated, the user and session ids; never a token.
// X-Request-Id is kept when it is a plain token, replaced otherwise, and echoed.
import t from 'tap'
import { bearer, createUser, login, post } from '../../helper.js'
import type { KeyturnPlugin } from '../../../plugins/extensions/load-plugins.js'
import { buildLogged, expectNotLogged } from '../../logged-app.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

type Line = Record<string, unknown>
const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line)
const accessLines = (lines: string[]) => parse(lines).filter((l) => l.msg === 'request')

t.test('one line per request, with the route, status, duration, ids and IP', async (t) => {
  const lines: string[] = []
  const app = await buildLogged(t, 'sqlite', 'info', lines)
  const user = await createUser(app)
  const pair = await login(app, user.username)
  lines.length = 0

  const me = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
  t.equal(me.statusCode, 200)
  const id = me.headers['x-request-id']
  t.match(id, UUID, 'a request without an id gets a fresh UUID, echoed')
  t.same(accessLines(lines).length, 1, 'one line')
  t.match(accessLines(lines)[0], {
    level: 30,
    reqId: id,
    method: 'GET',
    route: '/api/user/',
    status: 200,
    ms: Number,
    ip: '127.0.0.1',
    user_id: user.id,
    session_id: pair.session_id,
  })
  t.equal(parse(lines).length, 1, 'and no other line: Fastify\'s own two are off')
  t.same(
    Object.keys(accessLines(lines)[0] as Line),
    ['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'route', 'status', 'ms', 'ip', 'user_id', 'session_id', 'msg'],
    "pino's line, in pino's order",
  )

  lines.length = 0
  const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
  t.equal(refreshed.statusCode, 200)
  const anonymous = await app.inject({ method: 'GET', url: '/api/no/such/thing/' })
  t.equal(anonymous.statusCode, 404)
  const logged = accessLines(lines)
  t.equal(logged.length, 2)
  t.match(logged[0], { route: '/api/token/refresh/', status: 200 })
  t.notOk('user_id' in (logged[0] as Line), 'no user on a route that authenticates no one')
  t.match(logged[1], { route: null, status: 404 })
  expectNotLogged(t, lines, [pair.access, pair.refresh, refreshed.json<{ access: string }>().access])
})

t.test("a caller's X-Request-Id is kept when it is a plain token, and replaced otherwise", async (t) => {
  const lines: string[] = []
  const app = await buildLogged(t, 'sqlite', 'info', lines)
  const kept = await app.inject({ method: 'GET', url: '/api/user/', headers: { 'x-request-id': 'gw-7f3a.b_c' } })
  t.equal(kept.headers['x-request-id'], 'gw-7f3a.b_c')
  t.equal(accessLines(lines)[0]?.reqId, 'gw-7f3a.b_c')
  for (const bad of ['two words', 'x'.repeat(129), 'quote"d', 'line\\nbreak', '']) {
    const res = await app.inject({ method: 'GET', url: '/api/user/', headers: { 'x-request-id': bad } })
    t.match(res.headers['x-request-id'], UUID, `replaced: ${bad.slice(0, 12)}`)
  }
  t.notOk(lines.join('').includes('quote'), 'a refused id reaches no line')
})

t.test('probes log at debug; KEYTURN_ACCESS_LOG=false logs nothing', async (t) => {
  const atInfo: string[] = []
  const info = await buildLogged(t, 'sqlite', 'info', atInfo)
  t.equal((await info.inject('/health/live')).statusCode, 200)
  t.same(accessLines(atInfo), [], 'no probe line at info')

  const atDebug: string[] = []
  const debug = await buildLogged(t, 'sqlite', 'debug', atDebug)
  t.equal((await debug.inject('/health/live')).statusCode, 200)
  t.match(accessLines(atDebug), [{ level: 20, route: '/health/live', status: 200 }])

  const off: string[] = []
  const quiet = await buildLogged(t, 'sqlite', 'info', off, { KEYTURN_ACCESS_LOG: 'false' })
  t.equal((await quiet.inject('/api/user/')).statusCode, 401)
  t.same(accessLines(off), [])
})

// A plugin (or an embedding server's @fastify/jwt) may put its own payload in request.user:
// the line stays one JSON object whatever that holds.
t.test("another request.user's ids are quoted, never pasted into the line", async (t) => {
  const lines: string[] = []
  const odd = async (f: Parameters<KeyturnPlugin>[0]) => {
    f.get('/odd-user/', { onRequest: async (request) => void ((request as { user: unknown }).user = { id: 'x","admin":true,"y":"' }) }, async () => ({}))
  }
  const app = await buildLogged(t, 'sqlite', 'info', lines, {}, [odd])
  lines.length = 0
  t.equal((await app.inject({ method: 'GET', url: '/odd-user/' })).statusCode, 200)
  const [line] = accessLines(lines)
  t.match(line, { route: '/odd-user/', user_id: 'x","admin":true,"y":"', session_id: null })
  t.notOk('admin' in (line as Line), 'no field of its own')
})
