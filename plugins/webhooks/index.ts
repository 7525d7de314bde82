// The `webhooks` concern: endpoints that receive session events (Standard Webhooks), fed by
// an outbox written inside each change's transaction (outbox.ts) and delivered by every
// instance's dispatcher once the server listens (the CLI stages events, servers send them).
// Which endpoints want which events is kept in memory; every change to an endpoint is a
// 'webhook' entry of the revocation log, so every instance reads them again within a second.
import fp from 'fastify-plugin'
import { recordRevocation } from '../revocation/revocation-log.js'
import type { PageParams } from '../infra/pagination.js'
import type { Executor, Transaction } from '../infra/store/database.js'
import type { CountedPage } from '../infra/store/counted-page.js'
import type { TenantScope } from '../users/tenancy.js'
import { checkWebhookUrl, WebhookUrlError } from './address-guard.js'
import { pendingCount } from './deliveries-store.js'
import { Dispatcher, type AttemptKind } from './dispatcher.js'
import {
  activeEndpoints,
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listAttempts,
  listEndpoints,
  updateEndpoint,
  type AttemptRow,
  type EndpointChanges,
} from './endpoints-store.js'
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type StagedEvent, type WebhookEventType } from './event-types.js'
import { insertEvent, newEventId, routesFor, routeWants, stageEvent, type EndpointRoute } from './outbox.js'
import { newWebhookSecret } from './signature.js'
import type { WebhookEndpoint } from './tables.js'
import { isoUtc } from '../infra/iso-time.js'

export type { WebhookEndpoint } from './tables.js'
export type { AttemptRow } from './endpoints-store.js'
export { WebhookUrlError } from './address-guard.js'

export interface EndpointInput {
  url: string
  events: string[]
  description?: string | undefined
}

export interface Webhooks {
  // Whether any endpoint wants this event of this client: flows skip what nobody reads.
  wants(type: WebhookEventType, clientId: number | null): boolean
  // Inside the change's transaction: the event and its deliveries.
  stage(trx: Executor, event: StagedEvent, now: number): Promise<void>
  create(clientId: number | null, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }>
  list(scope: TenantScope, page: PageParams): Promise<CountedPage<WebhookEndpoint>>
  get(scope: TenantScope, id: number): Promise<WebhookEndpoint | undefined>
  update(scope: TenantScope, id: number, changes: Partial<EndpointInput> & { isActive?: boolean | undefined }): Promise<WebhookEndpoint | undefined>
  remove(scope: TenantScope, id: number): Promise<boolean>
  rotateSecret(scope: TenantScope, id: number, overlapMs: number): Promise<{ endpoint: WebhookEndpoint; secret: string } | undefined>
  // A webhook.test event for this endpoint alone, through the outbox; its id.
  sendTest(scope: TenantScope, id: number): Promise<string | undefined>
  attempts(scope: TenantScope, id: number, page: PageParams): Promise<CountedPage<AttemptRow> | undefined>
  pending(): Promise<number>
  onAttempt(listener: (kind: AttemptKind, seconds: number) => void): void
}

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks
  }
}

// How long after staging an event the dispatcher looks for it: the change has committed by then.
const WAKE_AFTER_MS = 20
const ROUTES_REFRESH_MS = 30_000

function checkedEvents(events: string[]): string {
  const unique = [...new Set(events)]
  if (unique.length === 0) throw new WebhookUrlError('Choose at least one event.', 'events')
  for (const type of unique) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new WebhookUrlError(`"${type.slice(0, 64)}" is not a valid choice (one of: ${WEBHOOK_EVENT_TYPES.join(', ')}).`, 'events')
    }
  }
  return unique.join(' ')
}

export default fp(
  async (fastify) => {
    const { db, config, revocations } = fastify
    const allowPrivate = config.KEYTURN_WEBHOOK_ALLOW_PRIVATE
    let routes: EndpointRoute[] = []
    const attemptListeners: Array<(kind: AttemptKind, seconds: number) => void> = []

    // Before the routes are first read: each read tells it whether any endpoint is active.
    const dispatcher = new Dispatcher(
      db,
      {
        pollMs: config.KEYTURN_WEBHOOK_POLL_MS,
        quietPollMs: ROUTES_REFRESH_MS,
        timeoutMs: config.KEYTURN_WEBHOOK_TIMEOUT,
        allowPrivate,
        retryBaseMs: config.KEYTURN_WEBHOOK_RETRY_BASE,
        retryMaxMs: config.KEYTURN_WEBHOOK_RETRY_MAX,
        giveUpMs: config.KEYTURN_WEBHOOK_GIVE_UP,
        batch: 32,
      },
      fastify.log,
      (kind, seconds) => {
        for (const listener of attemptListeners) listener(kind, seconds)
      },
      () => void loadRoutes(),
    )

    // One read at a time, in order, so an older read never overwrites a newer one. A read
    // that fails is logged and tried again at the next change, or by the timer below.
    let loading: Promise<void> = Promise.resolve()
    let stale = false
    function loadRoutes(): Promise<void> {
      loading = loading.then(async () => {
        try {
          const rows = await activeEndpoints(db)
          routes = rows.map((row) => ({ id: row.id, clientId: row.client_id, events: new Set(row.events.split(' ')) }))
          stale = false
          dispatcher.setQuiet(routes.length === 0)
        } catch (err) {
          stale = true
          dispatcher.setQuiet(false)
          fastify.log.warn({ err: (err as Error).message }, 'webhook endpoints could not be read')
        }
      })
      return loading
    }
    revocations.onEntry('webhook', () => void loadRoutes())
    const refresh = setInterval(() => {
      if (stale) void loadRoutes()
    }, ROUTES_REFRESH_MS)
    refresh.unref()

    // A change and its log entry (for the endpoint `idOf` names in its result) in one transaction; this
    // instance reads the routes at once.
    async function changed<T>(change: (trx: Transaction) => Promise<T>, idOf: (done: T) => number): Promise<T> {
      const result = await db.transaction().execute(async (trx) => {
        const done = await change(trx)
        await recordRevocation(trx, 'webhook', idOf(done), Date.now())
        return done
      })
      await loadRoutes()
      return result
    }

    const webhooks: Webhooks = {
      wants: (type, clientId) => routes.some((route) => routeWants(route, type, clientId)),
      async stage(trx, event, now) {
        const staged = await stageEvent(trx, routesFor(routes, event.type, event.clientId), event, now)
        // Delivered at once rather than at the next poll: soon after the change's commit.
        if (staged !== undefined) setTimeout(() => dispatcher.wake(), WAKE_AFTER_MS).unref()
      },
      async create(clientId, input) {
        const url = await checkWebhookUrl(input.url, allowPrivate)
        const events = checkedEvents(input.events)
        if (clientId !== null && (await db.selectFrom('clients').select('id').where('id', '=', clientId).executeTakeFirst()) === undefined) {
          throw new WebhookUrlError(`Invalid pk "${clientId}" - object does not exist.`, 'client_id')
        }
        const secret = newWebhookSecret()
        const now = Date.now()
        const row = {
          client_id: clientId,
          url: url.toString(),
          events,
          description: (input.description ?? '').slice(0, 255),
          is_active: 1,
          disabled_reason: null,
          secret,
          previous_secret: null,
          previous_secret_expires_at: null,
          failing_since: null,
          created_at: now,
          updated_at: now,
        }
        const endpoint = await changed((trx) => insertEndpoint(trx, row), (inserted) => inserted.id)
        return { endpoint, secret }
      },
      list: (scope, page) => listEndpoints(db, scope, page),
      get: (scope, id) => findEndpoint(db, scope, id),
      async update(scope, id, changes) {
        const endpoint = await findEndpoint(db, scope, id)
        if (endpoint === undefined) return undefined
        const fields: EndpointChanges = {}
        if (changes.url !== undefined) fields.url = (await checkWebhookUrl(changes.url, allowPrivate)).toString()
        if (changes.events !== undefined) fields.events = checkedEvents(changes.events)
        if (changes.description !== undefined) fields.description = changes.description.slice(0, 255)
        // Switched back on: a fresh start, its old run of failures forgotten.
        if (changes.isActive === true && endpoint.is_active !== 1) Object.assign(fields, { is_active: 1, disabled_reason: null, failing_since: null })
        if (changes.isActive === false) Object.assign(fields, { is_active: 0, disabled_reason: null })
        return changed((trx) => updateEndpoint(trx, id, fields, Date.now()), () => id)
      },
      async remove(scope, id) {
        if ((await findEndpoint(db, scope, id)) === undefined) return false
        await changed((trx) => deleteEndpoint(trx, id), () => id)
        return true
      },
      async rotateSecret(scope, id, overlapMs) {
        const endpoint = await findEndpoint(db, scope, id)
        if (endpoint === undefined) return undefined
        const secret = newWebhookSecret()
        const now = Date.now()
        const fields = { secret, previous_secret: overlapMs > 0 ? endpoint.secret : null, previous_secret_expires_at: overlapMs > 0 ? now + overlapMs : null }
        const rotated = await changed((trx) => updateEndpoint(trx, id, fields, now), () => id)
        return rotated === undefined ? undefined : { endpoint: rotated, secret }
      },
      async sendTest(scope, id) {
        const endpoint = await findEndpoint(db, scope, id)
        if (endpoint === undefined) return undefined
        if (endpoint.is_active !== 1) throw new WebhookUrlError('The endpoint is disabled: enable it first.', 'is_active')
        const eventId = newEventId()
        const now = Date.now()
        const body = JSON.stringify({ id: eventId, type: TEST_EVENT_TYPE, created_at: isoUtc(now), data: { webhook_id: endpoint.id } })
        await db.transaction().execute((trx) => insertEvent(trx, { id: eventId, type: TEST_EVENT_TYPE, clientId: endpoint.client_id, body }, [{ id: endpoint.id, clientId: endpoint.client_id, events: new Set() }], now))
        dispatcher.wake()
        return eventId
      },
      async attempts(scope, id, page) {
        if ((await findEndpoint(db, scope, id)) === undefined) return undefined
        return listAttempts(db, id, page)
      },
      pending: () => pendingCount(db),
      onAttempt: (listener) => void attemptListeners.push(listener),
    }

    await loadRoutes()
    fastify.decorate('webhooks', webhooks)
    // Servers deliver; the CLI, which never listens, only stages.
    fastify.addHook('onListen', async () => dispatcher.start())
    fastify.addHook('onClose', async () => {
      clearInterval(refresh)
      await dispatcher.stop()
    })
  },
  { name: 'webhooks', dependencies: ['config', 'db', 'revocations'] },
)
