// Webhook endpoints and their outbox: see migrations/2026-11-30T04-webhooks.ts.
import type { Generated, Selectable } from 'kysely'

export interface WebhookEndpointTable {
  id: Generated<number>
  client_id: number | null
  url: string
  events: string
  description: string
  is_active: number
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: number | null
  failing_since: number | null
  created_at: number
  updated_at: number
}

export interface WebhookEventTable {
  id: string
  type: string
  client_id: number | null
  body: string
  created_at: number
}

export type DeliveryState = 'pending' | 'delivered' | 'failed'

export interface WebhookDeliveryTable {
  id: Generated<number>
  event_id: string
  endpoint_id: number
  state: DeliveryState
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  created_at: number
  finished_at: number | null
}

export interface WebhookAttemptTable {
  id: Generated<number>
  delivery_id: number
  endpoint_id: number
  attempted_at: number
  status_code: number | null
  error: string | null
  duration_ms: number
  next_retry_at: number | null
}

export type WebhookEndpoint = Selectable<WebhookEndpointTable>
export type WebhookDelivery = Selectable<WebhookDeliveryTable>
export type WebhookAttempt = Selectable<WebhookAttemptTable>

declare module '../infra/store/database.js' {
  interface Database {
    webhook_endpoints: WebhookEndpointTable
    webhook_events: WebhookEventTable
    webhook_deliveries: WebhookDeliveryTable
    webhook_attempts: WebhookAttemptTable
  }
}
