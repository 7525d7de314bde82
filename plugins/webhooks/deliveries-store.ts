// The outbox's queries: claiming due deliveries (each by one instance: SKIP LOCKED on
// Postgres; SQLite has one writer), recording an attempt, and the delivery log.
import type { Executor } from '../infra/store/database.js'
import { isPostgres } from '../infra/store/database.js'
import { compiledQuery } from '../infra/store/compiled.js'
import { countRows } from '../infra/store/counted-page.js'
import { amongPicked } from '../infra/store/picked-rows.js'

export interface ClaimedDelivery {
  id: number
  // The claim: recording the attempt checks it is still this one (not run out and taken).
  lockedUntil: number
  attempts: number
  eventId: string
  eventCreatedAt: number
  body: string
  endpointId: number
  url: string
  isActive: boolean
  secrets: string[]
}

// Every instance asks this every second, so it is built once. Not prepared on Postgres: with
// delivered rows piling up, a generic plan (blind to 'pending' being rare) could scan them all.
const anyDue = compiledQuery(
  (db: Executor, now: number) => db.selectFrom('webhook_deliveries').select('id').where('state', '=', 'pending').where('next_attempt_at', '<=', now).limit(1),
  1,
  { prepared: false },
)

// Marks up to `limit` due deliveries as this instance's until `lockedUntil` and returns them
// with what sending needs.
export async function claimDue(db: Executor, now: number, lockedUntil: number, limit: number): Promise<ClaimedDelivery[]> {
  // A read first: an idle outbox costs no write (on SQLite, no turn at the write lock).
  if ((await anyDue(db, now)).rows.length === 0) return []
  const pg = isPostgres(db)
  const claimed = await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: lockedUntil })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(limit)
        .$if(pg, (q) => q.forUpdate().skipLocked()),
    )
    .returning('id')
    .execute()
  if (claimed.length === 0) return []
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_endpoints as p', 'p.id', 'd.endpoint_id')
    .select(['d.id', 'd.attempts', 'e.id as event_id', 'e.created_at as event_created_at', 'e.body', 'p.id as endpoint_id', 'p.url', 'p.is_active', 'p.secret', 'p.previous_secret', 'p.previous_secret_expires_at'])
    .where('d.id', 'in', claimed.map((row) => row.id))
    .execute()
  return rows.map((row) => ({
    id: row.id,
    lockedUntil,
    attempts: row.attempts,
    eventId: row.event_id,
    eventCreatedAt: Number(row.event_created_at),
    body: row.body,
    endpointId: row.endpoint_id,
    url: row.url,
    isActive: row.is_active === 1,
    secrets: row.previous_secret !== null && Number(row.previous_secret_expires_at) > now ? [row.secret, row.previous_secret] : [row.secret],
  }))
}

export interface Outcome {
  attemptedAt: number
  statusCode: number | null
  error: string | null
  durationMs: number
  // When to try again; null: delivered (error null) or given up.
  nextRetryAt: number | null
}

// Returns false, recording nothing, when the claim ran out and another instance took the
// delivery meanwhile (its own record stands).
export async function recordAttempt(db: Executor, delivery: ClaimedDelivery, outcome: Outcome): Promise<boolean> {
  const delivered = outcome.error === null
  const finished = outcome.nextRetryAt === null
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({
      attempts: delivery.attempts + 1,
      locked_until: null,
      state: delivered ? 'delivered' : finished ? 'failed' : 'pending',
      next_attempt_at: outcome.nextRetryAt ?? outcome.attemptedAt,
      finished_at: finished ? outcome.attemptedAt : null,
    })
    .where('id', '=', delivery.id)
    .where('locked_until', '=', delivery.lockedUntil)
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) === 0) return false
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: delivery.id,
      endpoint_id: delivery.endpointId,
      attempted_at: outcome.attemptedAt,
      status_code: outcome.statusCode,
      error: outcome.error,
      duration_ms: outcome.durationMs,
      next_retry_at: outcome.nextRetryAt,
    })
    .execute()
  return true
}

export function pendingCount(db: Executor): Promise<number> {
  return countRows(db.selectFrom('webhook_deliveries').where('state', '=', 'pending'))
}

// Removes up to `batch` events older than `before` that have nothing left to deliver (their
// deliveries and attempts go with them); returns how many it removed.
export async function deleteFinishedEventsBefore(db: Executor, before: number, batch: number): Promise<number> {
  const victims = db
    .selectFrom('webhook_events as e')
    .select('e.id')
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.state', '=', 'pending'))),
    )
    .orderBy('e.created_at')
    .limit(batch)
  const result = await db.deleteFrom('webhook_events').where(amongPicked(db, 'id', victims)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
