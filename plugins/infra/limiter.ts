// Runs at most `limit` tasks at once, the rest in arrival order.
export class Limiter {
  #running = 0
  readonly #queue: Array<() => void> = []

  constructor(readonly limit: number) {}

  // Tasks waiting for their turn (the metrics' queue depth).
  get waiting(): number {
    return this.#queue.length
  }

  get running(): number {
    return this.#running
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#queue.push(resolve))
    else this.#running++
    try {
      return await task()
    } finally {
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}
