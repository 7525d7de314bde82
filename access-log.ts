// The access log, as Fastify's LogController: one line per request at info, written once the
// answer has gone, in place of Fastify's two (incoming, completed). Route templates rather
// than URLs, the user and session ids rather than anything of the token, so no credential and
// no unbounded value reaches the line. Probes (routes with `config: { probe: true }`: health)
// log at debug, so an orchestrator's polling does not fill the log; at debug a line is also
// written as each request is routed (a request in flight shows). KEYTURN_ACCESS_LOG=false:
// no lines but errors.
//
// The line is the one pino would write ({"level":30,"time":...,"pid":...,"hostname":...,
// fields...,"msg":"request"}), put together here and handed to the logger's own destination,
// so it takes its place among the other lines. Through pino it cost a verify about 8 µs, most
// of it the redaction the other lines need (its wildcard paths walk every object); this line
// holds nothing to redact, and costs well under 1 µs to write.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import { hostname } from 'node:os'

declare module 'fastify' {
  interface FastifyContextConfig {
    // A liveness or readiness probe: its access line is at debug.
    probe?: boolean
  }
}

// Where pino writes (a sonic-boom, or a test's stream).
export interface LineDestination {
  write(line: string): unknown
}

const LEVELS = { debug: 20, info: 30 } as const
type Level = keyof typeof LEVELS

// pino's, which FastifyBaseLogger does not declare; a logger without it logs every line.
const enabled = (log: FastifyBaseLogger, level: Level) => (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true

// pino's default bindings, as it writes them.
const BINDINGS = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`

// The route's template as JSON, once per route. (request.routeOptions builds an object on
// each call: read once a request.)
const routeJson = new Map<string, string>()
function routeOf(url: string | undefined): string {
  if (url === undefined) return 'null'
  let json = routeJson.get(url)
  if (json === undefined) routeJson.set(url, (json = JSON.stringify(url)))
  return json
}

export class AccessLogController extends LogController {
  constructor(
    private readonly on: boolean,
    private readonly destination: LineDestination,
  ) {
    super({ disableRequestLogging: !on })
  }

  override incomingRequest(request: FastifyRequest): void {
    if (!this.on || !enabled(request.server.log, 'debug')) return
    this.#write('debug', `"reqId":${JSON.stringify(request.id)},"method":"${request.method}","route":${routeOf(request.routeOptions.config.url)},"msg":"incoming request"`)
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // A response that failed while it was being written is an error whatever the setting.
    const { config } = request.routeOptions
    if (error) {
      request.server.log.error({ reqId: request.id, route: config.url ?? null, err: error }, 'request errored')
      return
    }
    if (!this.on) return
    const level: Level = config.probe === true ? 'debug' : 'info'
    if (!enabled(request.server.log, level)) return
    const user = request.user
    this.#write(
      level,
      `"reqId":${JSON.stringify(request.id)},"method":"${request.method}","route":${routeOf(config.url)},"status":${reply.statusCode},` +
        `"ms":${Math.round(reply.elapsedTime * 10) / 10},"ip":${JSON.stringify(request.ip)}` +
        `${user ? `,"user_id":${user.id},"session_id":${user.sessionId}` : ''},"msg":"request"`,
    )
  }

  #write(level: Level, fields: string): void {
    this.destination.write(`{"level":${LEVELS[level]},"time":${Date.now()}${BINDINGS},${fields}}\n`)
  }
}
