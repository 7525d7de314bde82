// Each request gets a logger bound to its id, as Fastify does by default, but the child is
// made only when the request logs something. Making a pino child serializes its bindings;
// at the usual production levels (warn and above) almost no request ever logs, and the
// eager child cost a verify about 7% of its instructions (callgrind).
import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

interface LevelAware {
  isLevelEnabled?(level: string): boolean
}

class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options))
  }

  // A call at a level the parent does not log makes no child (pino's own methods would be
  // no-ops there anyway).
  private log(level: Level, args: unknown[]): void {
    if (this.#child === undefined && (this.parent as LevelAware).isLevelEnabled?.(level) === false) return
    ;(this.real[level] as (...a: unknown[]) => void)(...args)
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level
  }

  set level(level: string) {
    this.real.level = level
  }

  // Methods on the prototype, so a request's logger is one small object.
  fatal(...args: unknown[]): void {
    this.log('fatal', args)
  }
  error(...args: unknown[]): void {
    this.log('error', args)
  }
  warn(...args: unknown[]): void {
    this.log('warn', args)
  }
  info(...args: unknown[]): void {
    this.log('info', args)
  }
  debug(...args: unknown[]): void {
    this.log('debug', args)
  }
  trace(...args: unknown[]): void {
    this.log('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options)
  }
}

// Fastify's childLoggerFactory. A route with its own log level or serializers gets an
// ordinary child: those options change what the child itself does.
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options)
  return new LazyChildLogger(logger, bindings, options)
}
