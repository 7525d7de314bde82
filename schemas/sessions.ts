// The caller's own sessions (devices): /api/v1/auth/sessions/.
import { Type, type Static } from '@sinclair/typebox'
import { IsoTime, NullableText } from './common.js'

export const SessionView = Type.Object({
  id: Type.Integer(),
  client_type: NullableText,
  device_name: NullableText,
  telegram_user_id: Type.Union([Type.Integer(), Type.Null()]),
  telegram_username: NullableText,
  created_at: IsoTime,
  last_activity: IsoTime,
  expires_at: IsoTime,
  ip_address: NullableText,
  user_agent: NullableText,
  is_active: Type.Boolean(),
  is_current: Type.Boolean(),
}, { title: 'Session' })
export type SessionView = Static<typeof SessionView>

export { IdParams as SessionIdParams, parseId as parseSessionId } from './common.js'

export const SessionRevoked = Type.Object({ message: Type.String(), id: Type.Integer() }, { title: 'SessionRevoked' })

export const RevokeAllBody = Type.Object({
  keep_current: Type.Optional(Type.Boolean({ default: false, description: "keep the caller's own session" })),
}, { title: 'RevokeAllRequest' })

export const RevokedCount = Type.Object({ message: Type.String(), revoked_sessions: Type.Integer() }, { title: 'RevokedCount' })
