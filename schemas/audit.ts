import { Type } from '@sinclair/typebox'
import { AUDIT_EVENTS, AUDIT_OUTCOMES } from '../auth/audit.js'
import { Pagination } from './sessions.js'

const NullableInt = Type.Union([Type.Integer(), Type.Null()])
const NullableText = Type.Union([Type.String(), Type.Null()])

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
})

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
