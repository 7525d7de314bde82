// The audit trail as staff read it: GET /api/v1/admin/audit/.
import { Type } from '@sinclair/typebox'
import { NullableInt, NullableText, Pagination } from './common.js'

// What the trail records; a plugin recording an event of its own adds its name here.
export const AUDIT_EVENTS = [
  'login',
  'login_failed',
  'refresh',
  'refresh_reuse',
  'logout',
  'session_revoked',
  'password_changed',
  'rate_limited',
  // A service account's client credentials: a token issued, or the client refused.
  'service_token',
  // A token revoked by a service account (POST /api/v1/oauth/revoke/).
  'token_revoked',
] as const
export type AuditEventName = (typeof AUDIT_EVENTS)[number]
export const AUDIT_OUTCOMES = ['success', 'failure'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

export const AuditEventView = Type.Object({
  id: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  event: Type.String({ enum: [...AUDIT_EVENTS] }),
  outcome: Type.String({ enum: [...AUDIT_OUTCOMES] }),
  user_id: NullableInt,
  username: NullableText,
  client_id: NullableInt,
  session_id: NullableInt,
  actor_id: Type.Union([Type.Integer(), Type.Null()], { description: 'who acted, when not the user (staff revoking a session)' }),
  ip_address: NullableText,
  user_agent: NullableText,
  detail: Type.Union([Type.String(), Type.Null()], { description: 'a reason code: never a secret' }),
}, { title: 'AuditEvent' })

export const AuditQuery = Type.Composite([
  Pagination,
  Type.Object({
    event: Type.Optional(Type.String({ enum: [...AUDIT_EVENTS] })),
    outcome: Type.Optional(Type.String({ enum: [...AUDIT_OUTCOMES] })),
    user_id: Type.Optional(Type.Integer({ minimum: 1 })),
    session_id: Type.Optional(Type.Integer({ minimum: 1 })),
    ip_address: Type.Optional(Type.String({ maxLength: 64 })),
    since: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601: events at or after this time' })),
    until: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601: events before this time' })),
  }),
])
