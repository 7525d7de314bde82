// The events a webhook endpoint can subscribe to, and what each carries. Bodies are
// {"id": "evt_...", "type", "created_at", "data"}; data never holds a token, hash or password.

import { WEBHOOK_EVENT_TYPES } from '../../schemas/webhooks.js'

export { WEBHOOK_EVENT_TYPES }
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

// Sent by POST .../{id}/test/ to that endpoint alone; no endpoint subscribes to it.
export const TEST_EVENT_TYPE = 'webhook.test'

// What a flow knows inside its transaction; the outbox adds the session's and the user's
// fields from the store (device, address, username) in the same transaction.
export interface StagedEvent {
  type: WebhookEventType
  userId: number
  clientId: number | null
  sessionId?: number
  // Anything else the type carries (reason, new_device, changes, backoff, ...), snake_case.
  extra?: Record<string, unknown>
  // Where the request came from, for events with no session to read it from.
  source?: { ip: string | null; userAgent: string | null }
}
