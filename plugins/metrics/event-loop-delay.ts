// The event-loop delay gauges, under prom-client's names
// (nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds): how late a timer due every
// 100 ms fired, since the last scrape. prom-client samples every 10 ms, and reports the time
// between samples rather than the delay (0.01 s on an idle process). Each sample wakes the
// process, and wakeups were most of what an idle instance spent: at 10 ms nearly all of it,
// at 100 ms still half. So the samples follow the traffic: they run from the start, and from
// any answer until ten seconds pass with none. An instance nobody calls has no request for a
// late loop to hold up; its gauges read 0 (no sample) until it is called again. Node's own
// histogram (perf_hooks.monitorEventLoopDelay) cannot be paused: started again, its first
// sample is the whole pause. A scrape reports what the loop did since the scrape before.
import { createHistogram } from 'node:perf_hooks'
import { Gauge, type Registry } from 'prom-client'

export const EVENT_LOOP_SAMPLE_MS = 100
// How long the samples go on after the last answer.
export const EVENT_LOOP_IDLE_MS = 10_000

// prom-client's own histogram, which collectDefaultMetrics starts and cannot be told not to:
// sampled once a minute, it costs nothing, and its gauges are replaced by these.
export const PROM_CLIENT_SAMPLE_MS = 60_000

const STATISTICS = [
  ['min', 'shortest'],
  ['max', 'longest'],
  ['mean', 'mean'],
  ['stddev', 'standard deviation of the'],
  ['p50', 'median'],
  ['p90', '90th percentile of the'],
  ['p99', '99th percentile of the'],
] as const

type Statistic = (typeof STATISTICS)[number][0]

export interface EventLoopDelay {
  // Told of every answer: the samples go on (or start again).
  served(): void
  stop(): void
}

export function eventLoopDelayMetrics(registry: Registry, idleMs = EVENT_LOOP_IDLE_MS): EventLoopDelay {
  // Nanoseconds late (a histogram records whole numbers from 1).
  const histogram = createHistogram()
  let timer: NodeJS.Timeout | undefined
  let due = 0
  let quietSamples = 0
  let stopped = false
  const next = (now: number): void => {
    due = now + EVENT_LOOP_SAMPLE_MS
    timer = setTimeout(sample, EVENT_LOOP_SAMPLE_MS)
    timer.unref()
  }
  function sample(): void {
    const now = performance.now()
    histogram.record(Math.max(1, Math.round((now - due) * 1e6)))
    if (++quietSamples * EVENT_LOOP_SAMPLE_MS >= idleMs) timer = undefined
    else next(now)
  }
  next(performance.now())

  const read = (): Record<Statistic, number> => {
    // No sample since the last scrape: nothing was late.
    if (histogram.count === 0) return { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 }
    return {
      min: histogram.min / 1e9,
      max: histogram.max / 1e9,
      mean: histogram.mean / 1e9,
      stddev: histogram.stddev / 1e9,
      p50: histogram.percentile(50) / 1e9,
      p90: histogram.percentile(90) / 1e9,
      p99: histogram.percentile(99) / 1e9,
    }
  }

  const gauges = new Map<Statistic, Gauge>()
  for (const [statistic, words] of STATISTICS) {
    const name = `nodejs_eventloop_lag_${statistic}_seconds`
    registry.removeSingleMetric(name)
    gauges.set(
      statistic,
      new Gauge({
        name,
        help: `The ${words} event-loop delay since the last scrape, in seconds (sampled every ${EVENT_LOOP_SAMPLE_MS} ms while the service answers requests, and for ${EVENT_LOOP_IDLE_MS / 1000} s after the last).`,
        registers: [registry],
        // The first gauge a scrape reads sets them all, from one reading, then starts afresh.
        ...(statistic === 'min'
          ? {
              collect() {
                const values = read()
                for (const [s, gauge] of gauges) gauge.set(values[s])
                histogram.reset()
              },
            }
          : {}),
      }),
    )
  }
  return {
    served() {
      quietSamples = 0
      if (timer === undefined && !stopped) next(performance.now())
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      timer = undefined
    },
  }
}
