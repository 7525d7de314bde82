import { Type, type Static } from '@sinclair/typebox'

const IsoTime = Type.String({ format: 'date-time' })
const NullableText = Type.Union([Type.String(), Type.Null()])

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
})
export type SessionView = Static<typeof SessionView>

export const AdminSessionView = Type.Intersect([
  SessionView,
  Type.Object({
    user_id: Type.Integer(),
    username: Type.String(),
    client_id: Type.Union([Type.Integer(), Type.Null()]),
    revoked_at: Type.Union([IsoTime, Type.Null()]),
    revoked_reason: NullableText,
  }),
])
export type AdminSessionView = Static<typeof AdminSessionView>

// DRF routers match any segment; a non-numeric id is simply not found.
export const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 30 }) })
export function parseSessionId(raw: string): number | undefined {
  return /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined
}

export const SessionRevoked = Type.Object({ message: Type.String(), id: Type.Integer() })

export const RevokeAllBody = Type.Object({
  keep_current: Type.Optional(Type.Boolean({ default: false, description: "keep the caller's own session" })),
})

export const RevokedCount = Type.Object({ message: Type.String(), revoked_sessions: Type.Integer() })

export const Pagination = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
})

export const Page = <T extends ReturnType<typeof Type.Object> | typeof AdminSessionView>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
    results: Type.Array(item),
  })
