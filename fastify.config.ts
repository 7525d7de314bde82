// The one place configuration lives: the environment schema, its defaults, and the Fastify
// server options derived from it. server.ts, the CLI and the test helper all build from
// here, so tests run with production options. The environment is parsed once, at start:
// durations become milliseconds and lists arrays (TypeBox transforms), so nothing else ever
// parses an environment string.
import { Type, type StaticDecode } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { envSchema } from 'env-schema'
import { LogController, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify'
import { hostname } from 'node:os'
import pino from 'pino'
import { LineBuffer } from './log-buffer.js'
import { lazySerializers } from './plugins/infra/lazy-compile.js'
import { requestId } from './request-id.js'
import { lazyChildLogger } from './request-logger.js'

// A plain JSON-schema enum: its error says "must be one of ..." rather than anyOf noise. A
// string to TypeBox (whose decoding checks kinds it knows), the enum to ajv.
const OneOf = <T extends string>(values: readonly T[], defaultValue: T) =>
  Type.Unsafe<T>({ ...Type.String({ enum: [...values], default: defaultValue, description: `one of: ${values.join(', ')}` }) })

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

// "300" (seconds, as SimpleJWT's timedelta(seconds=300)), "300s", "15m", "12h", "7d", "250ms".
export function parseDuration(value: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(value.trim())
  if (!match) throw new Error(`not a duration: ${value}`)
  return Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000)
}

// Written as text, read as milliseconds.
const Duration = (defaultValue: string, description: string) =>
  Type.Transform(Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)?$', default: defaultValue, description }))
    .Decode(parseDuration)
    .Encode((ms) => `${ms}ms`)

// A comma-separated list, read as an array without blanks.
const List = (options: Parameters<typeof Type.String>[0]) =>
  Type.Transform(Type.String(options))
    .Decode((value) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''))
    .Encode((items) => items.join(','))

export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean)

// false (the default) means X-Forwarded-For is never believed, so a client cannot pick the
// IP that sessions, limits and the audit trail record.
export function parseTrustProxy(value: string): TrustProxy {
  const v = value.trim()
  if (v === 'false' || v === '0' || v === '') return false
  if (v === 'true') return true
  if (/^[0-9]+$/.test(v)) {
    const hops = Number(v)
    return (_address: string, hop: number) => hop < hops
  }
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

export const EnvSchema = Type.Object({
  NODE_ENV: OneOf(['development', 'production', 'test'] as const, 'development'),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  LOG_LEVEL: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  KEYTURN_DATABASE_URL: Type.String({
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    default: 'sqlite:./data/keyturn.sqlite',
    description: 'sqlite:<path> (":memory:" allowed) or postgres://user@host:port/db',
  }),
  KEYTURN_DATA_DIR: Type.String({ default: './data', description: 'where a development signing key is kept' }),
  KEYTURN_SQLITE_SYNCHRONOUS: OneOf(['FULL', 'NORMAL'] as const, 'NORMAL'),
  KEYTURN_SQLITE_BUSY_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 5000,
    description: 'how long a write waits for another process holding the SQLite file before answering 503',
  }),
  KEYTURN_SQLITE_CACHE_MB: Type.Integer({
    minimum: 1,
    maximum: 4096,
    default: 4,
    description: "each SQLite connection's page cache (there are two: a writer and a reader); beyond it, pages come from the OS's file cache",
  }),
  KEYTURN_PG_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  KEYTURN_PG_PREPARED_STATEMENTS: Type.Boolean({
    default: true,
    description: 'keep the hot statements prepared on each Postgres connection (off behind a pooler in transaction mode without prepared-statement support)',
  }),
  KEYTURN_SIGNING_KEY: Type.Optional(Type.String({ minLength: 1 })),
  KEYTURN_VERIFYING_KEY: Type.Optional(Type.String({ minLength: 1 })),
  KEYTURN_ALGORITHM: OneOf(
    ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const,
    'HS256',
  ),
  KEYTURN_JWKS_MAX_AGE: Duration('300', 'how long verifiers may cache /.well-known/jwks.json (its Cache-Control max-age)'),
  KEYTURN_KEYS: OneOf(['static', 'managed'] as const, 'static'),
  KEYTURN_KEY_ENCRYPTION_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'managed keys: 32 random bytes as base64 (openssl rand -base64 32), sealing private keys at rest' }),
  ),
  KEYTURN_KEY_ROTATION_INTERVAL: Duration('30d', 'managed keys: how long a key signs before the next one takes over'),
  KEYTURN_SERVICE_TOKEN_LIFETIME: Duration('15m', "service accounts' access tokens (client credentials)"),
  KEYTURN_SCOPES: List({
    // RFC 6749 scope tokens (printable ASCII but space, '"' and '\\'), commas between.
    pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]*$',
    default: '',
    description: 'the scopes service accounts may hold, comma-separated (none: any scope a service account is given)',
  }),
  KEYTURN_ACCESS_TOKEN_LIFETIME: Duration('15m', 'access token lifetime: 300, 300s, 15m, 1h, 7d'),
  KEYTURN_REFRESH_TOKEN_LIFETIME: Duration('7d', 'refresh token lifetime'),
  KEYTURN_SESSION_LIFETIME: Duration('30d', 'absolute session lifetime: rotation never extends a session past it'),
  KEYTURN_AUDIT_RETENTION: Duration('90d', 'audit events older than this are removed by flushexpiredtokens (0: kept for ever)'),
  KEYTURN_SESSION_IDLE_TIMEOUT: Duration('0', 'a session not refreshed for this long ends (0: never)'),
  KEYTURN_CONSOLE_IDLE_TIMEOUT: Duration('30m', 'an admin console sign-in unused for this long is signed out'),
  KEYTURN_ROTATION_GRACE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 300,
    default: 10,
    description:
      'the reuse interval: within it, a rotated refresh token presented again (two tabs, a retry) gets the same successor while that is unused; past it, a reuse ends the session (0: SimpleJWT behaviour)',
  }),
  KEYTURN_ROTATE_REFRESH_TOKENS: Type.Boolean({ default: true }),
  KEYTURN_BLACKLIST_AFTER_ROTATION: Type.Boolean({ default: true }),
  KEYTURN_UPDATE_LAST_LOGIN: Type.Boolean({ default: true }),
  KEYTURN_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  KEYTURN_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  KEYTURN_LEEWAY: Type.Integer({ minimum: 0, maximum: 3600, default: 0, description: 'seconds of clock skew allowed' }),
  KEYTURN_AUTH_HEADER_TYPES: List({ pattern: '^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$', default: 'Bearer' }),
  KEYTURN_ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, maximum: 4194304, default: 19456 }),
  KEYTURN_ARGON2_TIME_COST: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  KEYTURN_ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  KEYTURN_ARGON2_CONCURRENCY: Type.Integer({
    minimum: 0,
    maximum: 64,
    default: 0,
    description: 'hashes handed to the thread pool at once, each holding KEYTURN_ARGON2_MEMORY_KIB while it runs (0: one per core, plus one)',
  }),
  KEYTURN_LOGIN_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 20,
    description: 'login attempts per client IP per window (0: no limit, e.g. for load tests)',
  }),
  KEYTURN_REFRESH_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 120,
    description: 'refreshes per client IP per window (0: no limit)',
  }),
  KEYTURN_VERIFY_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 1200,
    description: 'verifies per client IP per window (0: no limit); raise it for a gateway that verifies for many users',
  }),
  KEYTURN_BLACKLIST_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 60,
    description: 'blacklists and logouts per client IP per window (0: no limit)',
  }),
  KEYTURN_LOGIN_FREE_FAILURES: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 5,
    description: 'failed logins in a row for one account before each further attempt must wait (1 s, 2 s, 4 s, ...)',
  }),
  KEYTURN_LOGIN_MAX_BACKOFF: Duration('15m', 'the longest wait the per-account backoff imposes'),
  KEYTURN_REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://.+', description: 'share rate limits and login backoff across instances' }),
  ),
  KEYTURN_REDIS_PREFIX: Type.String({ default: 'keyturn:', maxLength: 100 }),
  KEYTURN_RATE_LIMIT_WINDOW: Duration('1m', 'the rate-limit window'),
  KEYTURN_CORS_ORIGINS: List({
    default: '',
    description: "browser origins allowed to call the API: empty (CORS off), '*', or a comma list of origins",
  }),
  KEYTURN_BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 10485760, default: 65536 }),
  KEYTURN_TRUST_PROXY: Type.Transform(
    Type.String({
      default: 'false',
      description: 'false, true, a hop count, or a comma list of trusted proxy addresses/CIDRs',
    }),
  )
    .Decode(parseTrustProxy)
    .Encode((trust) => (Array.isArray(trust) ? trust.join(',') : String(trust))),
  KEYTURN_PLUGINS: List({
    default: '',
    description: 'Fastify plugins to load, comma-separated: paths (absolute, or relative to the working directory) or package names',
  }),
  KEYTURN_REVOCATION_POLL_MS: Type.Integer({ minimum: 50, maximum: 10000, default: 500 }),
  KEYTURN_REVOCATION_MAX_STALENESS_MS: Type.Integer({
    minimum: 500,
    maximum: 600000,
    default: 5000,
    description: 'authenticated calls answer 503 when revocations could not be read for this long',
  }),
  KEYTURN_USER_CACHE_SIZE: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 250_000,
    description: 'users kept in memory for authentication and the profile, least recently used out first',
  }),
  KEYTURN_VERIFIED_TOKEN_CACHE_SIZE: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    default: 10_000,
    description: 'access tokens kept once verified (about 250 bytes each), least recently used out first (0: none)',
  }),
  KEYTURN_VERIFIED_TOKEN_DIGESTS: Type.Integer({
    minimum: 0,
    maximum: 10_000_000,
    default: 500_000,
    description: 'access tokens remembered by digest once verified (20 bytes each, rounded up to a power of two), so that verifying one again is a decode (0: none)',
  }),
  KEYTURN_METRICS_HOST: Type.String({ default: '127.0.0.1', description: 'the address of the Prometheus listener (never the public port)' }),
  KEYTURN_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'the port of GET /metrics (0: no metrics)' }),
  KEYTURN_ACCESS_LOG: Type.Boolean({ default: true, description: 'one info line per request (false: none)' }),
  KEYTURN_WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'let webhook URLs resolve to loopback, private or link-local addresses (tests, a receiver inside your network)',
  }),
  KEYTURN_WEBHOOK_TIMEOUT: Duration('10s', 'how long a webhook receiver has to answer an attempt'),
  KEYTURN_WEBHOOK_RETRY_BASE: Duration('5s', 'the wait before the first retry of a failed delivery; each further one doubles it'),
  KEYTURN_WEBHOOK_RETRY_MAX: Duration('1h', 'the longest wait between two attempts of one delivery'),
  KEYTURN_WEBHOOK_GIVE_UP: Duration('3d', 'an event undelivered for this long is given up, and an endpoint failing for this long is switched off'),
  KEYTURN_WEBHOOK_POLL_MS: Type.Integer({ minimum: 50, maximum: 60000, default: 1000, description: 'how often each instance looks for due webhook deliveries' }),
})

// The parsed configuration: what `fastify.config` holds, and what plugins are given.
export type KeyturnConfig = StaticDecode<typeof EnvSchema>

// Reads and validates the environment; throws an Error naming the bad variable.
export function loadConfig(env: NodeJS.ProcessEnv = process.env): KeyturnConfig {
  const data: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    // An empty variable means "unset": docker/compose files often carry KEY= lines.
    if (value !== undefined && value !== '') data[key] = value
  }
  let checked: unknown
  try {
    // env: false — the given environment is the whole environment (tests pass their own).
    checked = envSchema({ schema: EnvSchema, data, env: false, dotenv: false })
  } catch (err) {
    throw new Error(`Invalid configuration: ${describeEnvErrors(err)}`)
  }
  return Value.Decode(EnvSchema, checked)
}

interface EnvError {
  instancePath: string
  message?: string
  params: { allowedValues?: unknown[] }
}

// One clause per bad variable, naming it, with the allowed values where there is a list.
function describeEnvErrors(err: unknown): string {
  const list = (err as { errors?: EnvError[] }).errors
  if (!Array.isArray(list) || list.length === 0) return (err as Error).message.replace(/env\//g, '')
  return list
    .map((e) => {
      const name = e.instancePath.replace(/^\//, '')
      const allowed = e.params.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''
      return `${name} ${e.message ?? 'is invalid'}${allowed}`
    })
    .join('; ')
}

// Where a logger writes (a sonic-boom, or a test's stream).
export interface LineDestination {
  write(line: string): unknown
}

// Where Keyturn's logger writes, with pino's default bindings as it writes them: the access
// log writes its line there itself (plugins/infra/access-log.ts). A property of the logger,
// so the children Fastify makes of it (pino children inherit from their parent) have it too.
const DESTINATION = Symbol('keyturn.logDestination')
const BINDINGS = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`
interface KnownDestination {
  stream: LineDestination
  bindings: string
}

export function lineDestinationOf(logger: FastifyBaseLogger): KnownDestination | undefined {
  return (logger as unknown as { [DESTINATION]?: KnownDestination })[DESTINATION]
}

// Keyturn's logger: JSON lines to `destination`, credentials redacted.
export function keyturnLogger(config: KeyturnConfig, destination: LineDestination): FastifyBaseLogger {
  const logger = pino(
    {
      level: config.LOG_LEVEL,
      // Credentials never reach a log line, whatever a plugin decides to log.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.refresh',
          '*.access',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream,
  )
  Object.defineProperty(logger, DESTINATION, { value: { stream: destination, bindings: BINDINGS } satisfies KnownDestination })
  return logger
}

// Standard output for the log, once per process. With a line per request, a write per line
// (pino's default: each line handed to libuv's thread pool as soon as the last write is done)
// cost a verify about a third of its throughput here in system calls and thread hand-offs,
// and put log writes in the queue the argon2 hashes use. Lines are kept until 4 KB have
// gathered or 200 ms have passed (log-buffer.ts), then written at once on the main thread, in
// order; what is held is written when the process exits (kill -9 can lose those 200 ms).
const LOG_BUFFER_CHARS = 4096
const LOG_FLUSH_MS = 200
let stdout: LineBuffer | undefined
function bufferedStdout(): LineBuffer {
  if (stdout === undefined) {
    const buffer = new LineBuffer(pino.destination({ dest: 1, sync: true }), LOG_BUFFER_CHARS, LOG_FLUSH_MS)
    process.on('exit', () => buffer.flushSync())
    stdout = buffer
  }
  return stdout
}

// `destination`: where the log lines go (standard output, buffered; a test's stream).
export function serverOptions(config: KeyturnConfig, destination: LineDestination = bufferedStdout()): FastifyServerOptions {
  return {
    loggerInstance: keyturnLogger(config, destination),
    childLoggerFactory: lazyChildLogger,
    genReqId: requestId,
    trustProxy: config.KEYTURN_TRUST_PROXY,
    bodyLimit: config.KEYTURN_BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // plugins/drain.ts answers requests that arrive while closing with the contract's 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Response serializers built on a route's first answer, not at startup (lazy-compile.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializers() } },
  }
}

// The options of the server Keyturn builds for itself (server.ts, the tests): Fastify's own two
// lines per request are off, the access log writes one (plugins/infra/access-log.ts). Not in
// serverOptions: an embedder's Fastify, perhaps another copy, accepts only its own
// LogController, and decides about its request lines itself.
export function standaloneServerOptions(config: KeyturnConfig, destination?: LineDestination): FastifyServerOptions {
  return { ...serverOptions(config, destination), logController: new LogController({ disableRequestLogging: true }) }
}
