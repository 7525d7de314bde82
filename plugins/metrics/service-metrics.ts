// Gauges and histograms of the machinery: how fast revocations reach this instance, the
// password hasher's queue, the store's pool or commit batches, and the live sessions.
import type { FastifyInstance } from 'fastify'
import { Gauge, Histogram, type Registry } from 'prom-client'
import { TalliedHistogram } from './tallied-histogram.js'

// Counting live sessions reads an index as large as they are many: once per this, at most.
const ACTIVE_SESSIONS_KEPT_MS = 15_000

export function serviceMetrics(fastify: FastifyInstance, registry: Registry): void {
  const registers = [registry]
  const { revocations, passwords, storeStats } = fastify

  // Observed for every session revocation a poll brings (a busy log's hundreds a second): a
  // tallied histogram (tallied-histogram.ts): 20 µs for 250 where prom-client's took 110-155.
  const lag = new TalliedHistogram(
    'keyturn_revocation_lag_seconds',
    "From another process's session revocation to this instance applying it (refusing the session's tokens)",
    [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.5, 2, 5, 10],
    registry,
  )
  const lagSeries = () => lag.series('') ?? lag.add('', {})
  lagSeries()
  revocations.onSessionApplied((lagMs) => lagSeries().observe(Math.max(0, lagMs) / 1000))
  new Gauge({
    name: 'keyturn_revocation_poll_age_seconds',
    help: 'Seconds since the revocation log was last read whole (authenticated calls answer 503 past KEYTURN_REVOCATION_MAX_STALENESS_MS)',
    registers,
    collect() {
      this.set((Date.now() - revocations.lastSyncAt) / 1000)
    },
  })

  new Gauge({
    name: 'keyturn_password_hash_queue',
    help: 'Password hashes by state: waiting for a thread, or running',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.labels('waiting').set(passwords.queued)
      this.labels('running').set(passwords.running)
    },
  })
  const hashing = new Histogram({
    name: 'keyturn_password_hash_duration_seconds',
    help: 'How long one argon2id hash or verification took on its thread',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  })
  passwords.onTimed((seconds) => hashing.observe(seconds))

  const { pool, onCommitBatch } = storeStats
  if (pool) {
    new Gauge({
      name: 'keyturn_store_pool_connections',
      help: 'Postgres pool: connections by state (open, idle, max) and queries waiting for one',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const p = pool()
        this.labels('open').set(p.total)
        this.labels('idle').set(p.idle)
        this.labels('max').set(p.max)
        this.labels('waiting').set(p.waiting)
      },
    })
  }
  if (onCommitBatch) {
    const batches = new Histogram({
      name: 'keyturn_sqlite_commit_batch_size',
      help: 'SQLite group commit: transactions committed together by one COMMIT',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    })
    onCommitBatch((members) => batches.observe(members))
  }

  let counted: { value: number; at: number } | undefined
  new Gauge({
    name: 'keyturn_active_sessions',
    help: `Sessions neither ended nor expired (counted at most every ${ACTIVE_SESSIONS_KEPT_MS / 1000} s)`,
    registers,
    async collect() {
      const now = Date.now()
      if (counted === undefined || now - counted.at >= ACTIVE_SESSIONS_KEPT_MS) {
        try {
          counted = { value: await fastify.admin.count({ scope: { all: true }, isActive: true, now }), at: now }
        } catch (err) {
          // The store down: the last count stays (its age shows in the poll age), the scrape answers.
          fastify.log.warn({ code: (err as { code?: string }).code }, 'metrics: counting active sessions failed')
        }
      }
      if (counted !== undefined) this.set(counted.value)
    },
  })
}
