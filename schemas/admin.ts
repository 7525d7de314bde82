// What staff see of sessions (GET /api/v1/admin/sessions/).
import { Type, type Static } from '@sinclair/typebox'
import { CursorParam, IsoTime, NullableText, Pagination } from './common.js'
import { SessionView } from './sessions.js'

export const AdminSessionView = Type.Intersect([
  SessionView,
  Type.Object({
    user_id: Type.Integer(),
    username: Type.String(),
    client_id: Type.Union([Type.Integer(), Type.Null()]),
    revoked_at: Type.Union([IsoTime, Type.Null()]),
    revoked_reason: NullableText,
  }),
], { title: 'AdminSession' })
export type AdminSessionView = Static<typeof AdminSessionView>


export const AdminSessionQuery = Type.Composite([
  Pagination,
  CursorParam,
  Type.Object({
    client_type: Type.Optional(Type.String({ maxLength: 64 })),
    is_active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'matches username, device name or IP address' })),
  }),
])
