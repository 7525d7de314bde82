// Log lines gathered into chunks of about 4 KB before they reach standard output, written on
// the main thread, in order, at most 200 ms after the first line of a chunk. sonic-boom (which
// pino writes through) can gather lines itself (minLength), but it measures the UTF-8 length
// of everything it holds on every line, so a 4 KB chunk cost each of its ~20 lines a copy of
// the chunk so far: about 1.3 µs a line here, against 0.3 µs gathered here first. Every line
// of the process goes through one buffer, so the access log's lines keep their place among
// the others.

export interface ChunkWriter {
  write(chunk: string): unknown
  flushSync(): void
}

export class LineBuffer {
  #parts: string[] = []
  #chars = 0
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly out: ChunkWriter,
    private readonly chunkChars: number,
    private readonly maxDelayMs: number,
  ) {}

  write(line: string): boolean {
    this.#parts.push(line)
    this.#chars += line.length
    if (this.#chars >= this.chunkChars) this.#writeChunk()
    // A line never waits longer than maxDelayMs; an idle process arms no timer at all.
    else if (this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, this.maxDelayMs).unref()
    return true
  }

  // pino's logger.flush(cb).
  flush(cb?: (err?: Error) => void): void {
    this.#writeChunk()
    cb?.()
  }

  // What is held, written before the process exits.
  flushSync(): void {
    this.#writeChunk()
    this.out.flushSync()
  }

  #onTimer = (): void => {
    this.#timer = undefined
    this.#writeChunk()
  }

  #writeChunk(): void {
    if (this.#parts.length === 0) return
    const chunk = this.#parts.length === 1 ? (this.#parts[0] as string) : this.#parts.join('')
    this.#parts = []
    this.#chars = 0
    this.out.write(chunk)
  }
}
