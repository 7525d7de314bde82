// Delivers the outbox. Every instance runs one: each tick claims due deliveries (a claim
// holds for longer than a send may take, so a crashed instance's claims run out and another
// instance takes them), posts them, and records each attempt. A failure is retried with
// exponential backoff and jitter until the event is `giveUpMs` old; an endpoint that has
// failed for `giveUpMs` in a row is switched off.
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../infra/store/database.js'
import { claimDue, recordAttempt, type ClaimedDelivery } from './deliveries-store.js'
import { disableFailingEndpoint, endpointAnswered, endpointFailed } from './endpoints-store.js'
import { postWebhook } from './sender.js'
import { recordRevocation } from '../revocation/revocation-log.js'
import { signatureHeaders } from './signature.js'

export interface DispatchOptions {
  pollMs: number
  // How often it looks while no endpoint is active (setQuiet): only deliveries to endpoints
  // switched off or deleted since can be due then, and those are only closed out.
  quietPollMs: number
  timeoutMs: number
  allowPrivate: boolean
  retryBaseMs: number
  retryMaxMs: number
  giveUpMs: number
  batch: number
}

export type AttemptKind = 'delivered' | 'failed' | 'gave_up'

// The wait before retry n (1: after the first failure): doubling from the base up to the
// cap, and somewhere in its upper half, so receivers coming back are not hit all at once.
export function retryDelay(failures: number, baseMs: number, maxMs: number, random = Math.random()): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 40))
  return Math.round(full / 2 + (full / 2) * random)
}

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = true
  private again = false
  private quiet = false

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: DispatchOptions,
    private readonly log: FastifyBaseLogger,
    private readonly onAttempt: (kind: AttemptKind, seconds: number) => void,
    // An endpoint was switched off for failing too long (its revocation-log entry is written).
    private readonly onDisabled: () => void,
  ) {}

  start(): void {
    this.stopped = false
    this.schedule(0)
  }

  // Something was just staged here: deliver it now rather than at the next poll.
  wake(): void {
    if (this.stopped) return
    if (this.running !== undefined) this.again = true
    else this.schedule(0)
  }

  // Told whether any endpoint is active. An idle instance's poll was one store query a second
  // for an outbox that no event could enter; when one is switched on, it looks at once
  // (another instance may already have staged its first events).
  setQuiet(quiet: boolean): void {
    const woken = this.quiet && !quiet
    this.quiet = quiet
    if (woken) this.wake()
  }

  // Waits a little for sends in flight; one still hanging then is left to its claim, which
  // runs out and lets another instance (or the next start) deliver it.
  async stop(waitMs = 2000): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    if (this.running === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
    clearTimeout(timer)
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.tick(), ms)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    if (this.running !== undefined || this.stopped) return
    let full = false
    this.running = (async () => {
      try {
        full = await this.deliverDue()
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'webhook deliveries could not be read')
      }
    })()
    await this.running
    this.running = undefined
    if (this.stopped) return
    const soon = full || this.again
    this.again = false
    this.schedule(soon ? 0 : this.quiet ? this.options.quietPollMs : this.options.pollMs)
  }

  // Returns whether the claim was full (more may be due).
  private async deliverDue(): Promise<boolean> {
    const now = Date.now()
    const claimed = await claimDue(this.db, now, now + this.options.timeoutMs + 20_000, this.options.batch)
    // Each on its own: one that cannot be recorded (the store gone a moment) leaves the others'.
    const results = await Promise.allSettled(claimed.map((delivery) => this.deliver(delivery)))
    const failed = results.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    return claimed.length === this.options.batch
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const result = delivery.isActive
      ? await postWebhook(delivery.url, signatureHeaders(delivery.eventId, Date.now(), delivery.body, delivery.secrets), delivery.body, this.options)
      : { statusCode: null, error: 'endpoint disabled', durationMs: 0 }
    const now = Date.now()
    const delivered = result.error === null
    const tooOld = now - delivery.eventCreatedAt >= this.options.giveUpMs
    const nextRetryAt = delivered || tooOld || !delivery.isActive ? null : now + retryDelay(delivery.attempts + 1, this.options.retryBaseMs, this.options.retryMaxMs)
    const { recorded, disabled } = await this.db.transaction().execute(async (trx) => {
      const recorded = await recordAttempt(trx, delivery, { attemptedAt: now, ...result, nextRetryAt })
      if (!recorded || !delivery.isActive) return { recorded, disabled: false }
      if (delivered) {
        await endpointAnswered(trx, delivery.endpointId)
        return { recorded, disabled: false }
      }
      const failingSince = await endpointFailed(trx, delivery.endpointId, now)
      if (now - failingSince < this.options.giveUpMs) return { recorded, disabled: false }
      await disableFailingEndpoint(trx, delivery.endpointId, `failing since ${new Date(failingSince).toISOString()}`, now)
      // Every instance stops routing events to it.
      await recordRevocation(trx, 'webhook', delivery.endpointId, now)
      return { recorded, disabled: true }
    })
    if (disabled) this.onDisabled()
    if (!recorded) return
    this.onAttempt(delivered ? 'delivered' : nextRetryAt === null ? 'gave_up' : 'failed', result.durationMs / 1000)
    if (!delivered) this.log.info({ webhook: delivery.endpointId, event: delivery.eventId, status: result.statusCode, error: result.error }, 'webhook delivery failed')
  }
}
