// The outbox: inside the transaction of a change, the event it tells of and one pending
// delivery per endpoint that wants it. A rolled-back change takes its event with it; a
// committed one survives a crash and is delivered by whichever instance claims it.
import { sql } from 'kysely'
import { randomBytes } from 'node:crypto'
import type { Executor } from '../infra/store/database.js'
import { isoUtc } from '../infra/iso-time.js'
import type { StagedEvent } from './event-types.js'

// What the outbox needs to know of an endpoint to route an event to it.
export interface EndpointRoute {
  id: number
  clientId: number | null
  events: ReadonlySet<string>
}

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`
}

export function routeWants(endpoint: EndpointRoute, type: string, clientId: number | null): boolean {
  return endpoint.events.has(type) && (endpoint.clientId === null || endpoint.clientId === clientId)
}

export function routesFor(endpoints: readonly EndpointRoute[], type: string, clientId: number | null): EndpointRoute[] {
  return endpoints.filter((endpoint) => routeWants(endpoint, type, clientId))
}

// The event's data: the user's, the session's (device, address) and what the flow adds.
async function eventData(db: Executor, event: StagedEvent): Promise<Record<string, unknown>> {
  const user = await db.selectFrom('users').select('username').where('id', '=', event.userId).executeTakeFirst()
  const data: Record<string, unknown> = { user_id: event.userId, username: user?.username ?? null, client_id: event.clientId }
  if (event.sessionId !== undefined) {
    const session = await db
      .selectFrom('sessions')
      .select(['client_type', 'device_name', 'ip_address', 'user_agent'])
      .where('id', '=', event.sessionId)
      .executeTakeFirst()
    data['session_id'] = event.sessionId
    data['client_type'] = session?.client_type ?? null
    data['device_name'] = session?.device_name ?? null
    data['ip_address'] = session?.ip_address ?? null
    data['user_agent'] = session?.user_agent ?? null
  } else if (event.source !== undefined) {
    data['ip_address'] = event.source.ip
    data['user_agent'] = event.source.userAgent
  }
  return { ...data, ...event.extra }
}

// Writes the event and its deliveries with `db` (the change's transaction). Returns the
// event's id, or undefined when no endpoint wants it (nothing is written).
export async function stageEvent(db: Executor, routes: readonly EndpointRoute[], event: StagedEvent, now: number): Promise<string | undefined> {
  if (routes.length === 0) return undefined
  const id = newEventId()
  const body = JSON.stringify({ id, type: event.type, created_at: isoUtc(now), data: await eventData(db, event) })
  await insertEvent(db, { id, type: event.type, clientId: event.clientId, body }, routes, now)
  return id
}

export async function insertEvent(
  db: Executor,
  event: { id: string; type: string; clientId: number | null; body: string },
  routes: readonly EndpointRoute[],
  now: number,
): Promise<void> {
  await db.insertInto('webhook_events').values({ id: event.id, type: event.type, client_id: event.clientId, body: event.body, created_at: now }).execute()
  // The routes are this instance's memory of the endpoints, a moment old: one deleted or
  // switched off since (here or on another instance) is skipped, as the store has it now.
  await db
    .insertInto('webhook_deliveries')
    .columns(['event_id', 'endpoint_id', 'state', 'attempts', 'next_attempt_at', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('webhook_endpoints')
        // Typed, for Postgres: a bare parameter in a select list is text.
        .select([
          sql<string>`cast(${event.id} as varchar(40))`.as('event_id'),
          'id',
          sql<string>`cast(${'pending'} as varchar(16))`.as('state'),
          sql<number>`cast(${0} as integer)`.as('attempts'),
          sql<number>`cast(${now} as bigint)`.as('next_attempt_at'),
          sql<number>`cast(${now} as bigint)`.as('created_at'),
        ])
        .where('id', 'in', routes.map((route) => route.id))
        .where('is_active', '=', 1),
    )
    .execute()
}
