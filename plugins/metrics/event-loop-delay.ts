// The event-loop delay gauges, under prom-client's names
// (nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds), holding the delay itself.
// Node's histogram (perf_hooks.monitorEventLoopDelay) records the time between two firings of
// its timer, the sampling interval included, and prom-client reports that as it is: 0.01 s on
// an idle process at its 10 ms default, 0.1 s at the 100 ms Keyturn samples at, which read as
// a loop always 100 ms late. Here the interval is taken off. The samples are 100 ms apart
// because each one wakes the process: at 10 ms those wakeups were most of an idle instance's
// CPU (a timer of our own in JavaScript, which would also have kept the firing that a reset
// forgets, cost a tenth of a percent of a core more than Node's). As with prom-client, a
// scrape reports what the loop did since the scrape before; the first firing after a scrape
// only starts the count again, so a stall that it ends goes unrecorded.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Gauge, type Registry } from 'prom-client'

export const EVENT_LOOP_SAMPLE_MS = 100

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

export function eventLoopDelayMetrics(registry: Registry): () => void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS })
  histogram.enable()
  // Nanoseconds between firings, less the interval, in seconds.
  const delay = (ns: number): number => Math.max(0, ns - EVENT_LOOP_SAMPLE_MS * 1e6) / 1e9

  const read = (): Record<Statistic, number> => {
    // No sample since the last scrape (scrapes less than 100 ms apart): nothing was late.
    if (histogram.count === 0) return { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 }
    return {
      min: delay(histogram.min),
      max: delay(histogram.max),
      mean: delay(histogram.mean),
      stddev: histogram.stddev / 1e9,
      p50: delay(histogram.percentile(50)),
      p90: delay(histogram.percentile(90)),
      p99: delay(histogram.percentile(99)),
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
        help: `The ${words} event-loop delay since the last scrape, in seconds (sampled every ${EVENT_LOOP_SAMPLE_MS} ms, the sampling interval not counted).`,
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
  return () => histogram.disable()
}
