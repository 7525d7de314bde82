// The webhook_endpoints table's queries (scoped to a tenant where staff ask), the endpoints'
// health as deliveries go, and the delivery log.
import type { Executor } from '../infra/store/database.js'
import { countedPage, type CountedPage } from '../infra/store/counted-page.js'
import type { PageParams } from '../infra/pagination.js'
import { withinScope, type TenantScope } from '../users/tenancy.js'
import type { WebhookEndpoint, WebhookEndpointTable } from './tables.js'

export async function insertEndpoint(db: Executor, row: Omit<WebhookEndpoint, 'id'>): Promise<WebhookEndpoint> {
  return db.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findEndpoint(db: Executor, scope: TenantScope, id: number): Promise<WebhookEndpoint | undefined> {
  return withinScope(db.selectFrom('webhook_endpoints'), scope).selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listEndpoints(db: Executor, scope: TenantScope, page: PageParams): Promise<CountedPage<WebhookEndpoint>> {
  return countedPage(withinScope(db.selectFrom('webhook_endpoints'), scope), (q) => q.selectAll(), [['id', 'asc']], page)
}

// Every active endpoint: what the outbox routes events by.
export async function activeEndpoints(db: Executor): Promise<Array<Pick<WebhookEndpoint, 'id' | 'client_id' | 'events'>>> {
  return db.selectFrom('webhook_endpoints').select(['id', 'client_id', 'events']).where('is_active', '=', 1).execute()
}

export type EndpointChanges = Partial<
  Pick<WebhookEndpointTable, 'url' | 'events' | 'description' | 'is_active' | 'disabled_reason' | 'secret' | 'previous_secret' | 'previous_secret_expires_at' | 'failing_since'>
>

// Undefined when the endpoint is gone (deleted meanwhile).
export async function updateEndpoint(db: Executor, id: number, changes: EndpointChanges, now: number): Promise<WebhookEndpoint | undefined> {
  return db.updateTable('webhook_endpoints').set({ ...changes, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst()
}

export async function deleteEndpoint(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute()
}

// An answer: the endpoint's run of failures, if any, is over.
export async function endpointAnswered(db: Executor, id: number): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', id).where('failing_since', 'is not', null).execute()
}

// A failed attempt: returns since when the endpoint has been failing.
export async function endpointFailed(db: Executor, id: number, now: number): Promise<number> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({ failing_since: eb.fn.coalesce('failing_since', eb.val(now)) }))
    .where('id', '=', id)
    .returning('failing_since')
    .executeTakeFirst()
  return Number(row?.failing_since ?? now)
}

// Failing for too long: switched off, and what it still had pending is given up.
export async function disableFailingEndpoint(db: Executor, id: number, reason: string, now: number): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ is_active: 0, disabled_reason: reason, updated_at: now }).where('id', '=', id).execute()
  await db
    .updateTable('webhook_deliveries')
    .set({ state: 'failed', finished_at: now, locked_until: null })
    .where('endpoint_id', '=', id)
    .where('state', '=', 'pending')
    .execute()
}

export interface AttemptRow {
  id: number
  event_id: string
  event_type: string
  attempted_at: number
  status_code: number | null
  error: string | null
  duration_ms: number
  next_retry_at: number | null
  state: string
}

// The endpoint's delivery log: every attempt, newest first.
export async function listAttempts(db: Executor, endpointId: number, page: PageParams): Promise<CountedPage<AttemptRow>> {
  const filtered = db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .where('a.endpoint_id', '=', endpointId)
  return countedPage(
    filtered,
    (q) =>
      q.select(['a.id', 'e.id as event_id', 'e.type as event_type', 'a.attempted_at', 'a.status_code', 'a.error', 'a.duration_ms', 'a.next_retry_at', 'd.state']),
    [['a.id', 'desc']],
    page,
  ) as Promise<CountedPage<AttemptRow>>
}
