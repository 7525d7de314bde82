// Webhook endpoints and their delivery log, as staff see them: /api/v1/admin/webhooks/.
import { Type } from '@sinclair/typebox'
import { IsoTime, NullablePrimitive } from './common.js'

// The events an endpoint can subscribe to (what each carries: plugins/webhooks/event-types.ts).
export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.revoked',
  'session.reuse_detected',
  'login.failed',
  'user.created',
  'user.updated',
  'user.deactivated',
  'password.changed',
] as const

const EventTypes = Type.Array(Type.String({ enum: [...WEBHOOK_EVENT_TYPES] }), { minItems: 1, maxItems: 20, description: 'the events to receive' })
const NullableIso = NullablePrimitive(IsoTime)

export const WebhookView = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  events: EventTypes,
  description: Type.String(),
  is_active: Type.Boolean(),
  disabled_reason: NullablePrimitive(Type.String({ description: 'why Keyturn switched it off (failing for too long)' })),
  client_id: NullablePrimitive(Type.Integer({ description: 'the tenant whose events it receives; null: every client (superusers)' })),
  failing_since: NullablePrimitive(Type.String({ format: 'date-time', description: 'when its current run of failed attempts began' })),
  previous_secret_expires_at: NullablePrimitive(Type.String({ format: 'date-time', description: 'until when deliveries are signed with the secret before the last rotation too' })),
  created_at: IsoTime,
  updated_at: IsoTime,
}, { title: 'Webhook' })

export const WebhookCreated = Type.Intersect([
  WebhookView,
  Type.Object({ secret: Type.String({ description: 'whsec_ and base64: the signing secret (Standard Webhooks), shown once' }) }),
], { title: 'WebhookWithSecret' })

export const NewWebhook = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  events: EventTypes,
  description: Type.Optional(Type.String({ maxLength: 255 })),
  client_id: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "superusers: the tenant (default: every client's events); staff: their own only" })),
}, { title: 'NewWebhook' })

export const WebhookChanges = Type.Object({
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  events: Type.Optional(EventTypes),
  description: Type.Optional(Type.String({ maxLength: 255 })),
  is_active: Type.Optional(Type.Boolean()),
}, { title: 'WebhookChanges' })

export const WebhookTestSent = Type.Object({ event_id: Type.String({ description: 'the webhook.test event queued for this endpoint' }) }, { title: 'WebhookTestSent' })

export const WebhookAttempt = Type.Object({
  id: Type.Integer(),
  event_id: Type.String(),
  event_type: Type.String(),
  attempted_at: IsoTime,
  status_code: NullablePrimitive(Type.Integer({ description: "the receiver's HTTP status, or null when none came" })),
  error: NullablePrimitive(Type.String({ description: 'why the attempt failed; null when delivered' })),
  duration_ms: Type.Integer(),
  next_retry_at: NullableIso,
  delivery_state: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
}, { title: 'WebhookAttempt' })
