// The access log: one line per request at info, written once the answer has gone (the server
// Keyturn builds turns Fastify's own two lines off: fastify.config.ts). Route templates rather
// than URLs, the user and session ids rather than anything of the token, so no credential and
// no unbounded value reaches the line. Probes (routes with `config: { probe: true }`: health)
// log at debug, so an orchestrator's polling does not fill the log; at debug a line is also
// written as each request is routed (a request in flight shows). KEYTURN_ACCESS_LOG=false
// turns it off.
//
// With Keyturn's own logger the line is the one pino would write ({"level":30,"time":...,
// "pid":...,"hostname":...,fields...,"msg":"request"}), put together here and handed to the
// logger's destination, so it takes its place among the other lines: through pino it cost a
// verify about 8 µs here, most of it the redaction the other lines need (its wildcard paths
// walk every object), and this line holds nothing to redact. Under an embedder's logger it
// goes through that logger.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { lineDestinationOf } from '../../fastify.config.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    // A liveness or readiness probe: its access line is at debug.
    probe?: boolean
  }
}

const LEVELS = { debug: 20, info: 30 } as const
type Level = keyof typeof LEVELS

// pino's, which FastifyBaseLogger does not declare; a logger without it logs every line.
const enabled = (log: FastifyBaseLogger, level: Level) => (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true

// The route's template as JSON, once per route. (request.routeOptions builds an object on
// each call: it is read once a request.)
const routeJson = new Map<string, string>()
function jsonOf(url: string | undefined): string {
  if (url === undefined) return 'null'
  let json = routeJson.get(url)
  if (json === undefined) routeJson.set(url, (json = JSON.stringify(url)))
  return json
}

// The debug line written as a request is routed.
interface Incoming {
  reqId: string
  method: string
  route: string | null
}

export default fp(
  async (fastify) => {
    if (!fastify.config.KEYTURN_ACCESS_LOG) return
    const log = fastify.log
    const destination = lineDestinationOf(log)
    // The line as pino writes it, or through the logger when it is not Keyturn's.
    const incoming = destination
      ? (fields: Incoming) =>
          destination.stream.write(
            `{"level":${LEVELS.debug},"time":${Date.now()}${destination.bindings},"reqId":${JSON.stringify(fields.reqId)},"method":"${fields.method}","route":${jsonOf(fields.route ?? undefined)},"msg":"incoming request"}\n`,
          )
      : (fields: Incoming) => log.debug(fields, 'incoming request')

    // Read at start, as the logger's level is: at info and above there is no such hook at all.
    const on = { debug: enabled(log, 'debug'), info: enabled(log, 'info') }
    if (on.debug) {
      fastify.addHook('onRequest', (request, _reply, done) => {
        incoming({ reqId: String(request.id), method: request.method, route: request.routeOptions.config.url ?? null })
        done()
      })
    }
    fastify.addHook('onResponse', (request: FastifyRequest, reply, done) => {
      const { config } = request.routeOptions
      const level: Level = config.probe === true ? 'debug' : 'info'
      if (!on[level]) return done()
      const user = request.user
      const ms = Math.round(reply.elapsedTime * 10) / 10
      if (destination) {
        // The line without a fields object in between: this runs on every request.
        let line = `{"level":${LEVELS[level]},"time":${Date.now()}${destination.bindings},"reqId":${JSON.stringify(String(request.id))},"method":"${request.method}","route":${jsonOf(config.url)},"status":${reply.statusCode},"ms":${ms},"ip":${JSON.stringify(request.ip) ?? 'null'}`
        // Left out of the line when nobody was authenticated (as pino drops undefined). Keyturn's
        // ids are numbers; an embedder's own request.user may hold anything, so that is quoted.
        if (user?.id !== undefined) {
          const { id, sessionId } = user
          line +=
            typeof id === 'number' && typeof sessionId === 'number'
              ? `,"user_id":${id},"session_id":${sessionId}`
              : `,"user_id":${JSON.stringify(id) ?? 'null'},"session_id":${JSON.stringify(sessionId) ?? 'null'}`
        }
        destination.stream.write(`${line},"msg":"request"}\n`)
      } else {
        log[level](
          { reqId: String(request.id), method: request.method, route: config.url ?? null, status: reply.statusCode, ms, ip: request.ip, user_id: user?.id, session_id: user?.sessionId },
          'request',
        )
      }
      done()
    })
  },
  { name: 'access-log', dependencies: ['config'] },
)
