// Counters of what happened to logins, refreshes and sessions, from the auth events (each
// emitted once, after its commit), and of requests the per-IP limits refused.
import type { FastifyInstance } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { SessionEndReason } from '../events/event-types.js'

const END_REASONS: readonly SessionEndReason[] = ['logout', 'logout_all', 'revoke', 'admin', 'reuse', 'password_change', 'deactivation', 'expiry']

export function authMetrics(fastify: FastifyInstance, registry: Registry): void {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] })
  const logins = counter('keyturn_logins_total', 'Logins by outcome: success, or why one failed (invalid_credentials, inactive, expired, not_staff)', ['outcome'])
  const refreshes = counter(
    'keyturn_refreshes_total',
    'Refreshes by outcome: rotated, retried (a rotated token again within the reuse interval), reuse_detected',
    ['outcome'],
  )
  const reuses = counter('keyturn_refresh_reuse_detected_total', 'Rotated refresh tokens presented past the reuse interval (each ends its session)')
  const revoked = counter(
    'keyturn_sessions_revoked_total',
    'Sessions ended, by reason (logout, logout_all, revoke, admin, reuse, password_change, deactivation)',
    ['reason'],
  )
  const suspicious = counter(
    'keyturn_suspicious_activity_total',
    'Signs worth a look, by kind: reuse_detected (a rotated refresh token presented again), login_backoff (an account entered the failed-login backoff), new_device (a login from an address and user agent the user never used)',
    ['kind'],
  )
  const limited = counter('keyturn_rate_limited_total', 'Requests refused by a per-IP limit, by the limit (login, refresh, verify, blacklist, ...)', ['kind'])
  // Every outcome at 0 from the start, so a rate() has a series before the first event.
  for (const outcome of ['success', 'invalid_credentials', 'inactive', 'expired', 'not_staff']) logins.labels(outcome).inc(0)
  for (const outcome of ['rotated', 'retried', 'reuse_detected']) refreshes.labels(outcome).inc(0)
  reuses.inc(0)
  for (const kind of ['reuse_detected', 'login_backoff', 'new_device']) suspicious.labels(kind).inc(0)
  for (const reason of END_REASONS) revoked.labels(reason).inc(0)

  const { events } = fastify
  events.on(
    'login',
    (event) => {
      logins.labels('success').inc()
      if (event.newDevice) suspicious.labels('new_device').inc()
    },
    'metrics',
  )
  events.on(
    'login_failed',
    (event) => {
      logins.labels(event.reason).inc()
      if (event.backoff) suspicious.labels('login_backoff').inc()
    },
    'metrics',
  )
  events.on('refresh', (event) => refreshes.labels(event.retried ? 'retried' : 'rotated').inc(), 'metrics')
  events.on(
    'reuse_detected',
    () => {
      refreshes.labels('reuse_detected').inc()
      reuses.inc()
      suspicious.labels('reuse_detected').inc()
    },
    'metrics',
  )
  events.on('session_revoked', (event) => revoked.labels(event.reason).inc(), 'metrics')
  fastify.rateLimits.onExceeded((_request, kind) => limited.labels(kind).inc())
}
