import { Type, type Static } from '@sinclair/typebox'
import { NullablePrimitive } from './common.js'

const IsoTime = Type.String({ format: 'date-time', examples: ['2025-01-01T00:00:00Z'] })
const NullableIsoTime = NullablePrimitive(IsoTime)

export const Profile = Type.Object({
  id: Type.Integer(),
  user_id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  client_id: NullablePrimitive(Type.Integer()),
  client_name: NullablePrimitive(Type.String()),
  is_active: Type.Boolean(),
  is_staff: Type.Boolean(),
  is_superuser: Type.Boolean(),
  is_manager: Type.Boolean(),
  date_joined: IsoTime,
  last_login: NullableIsoTime,
  profile: Type.Object({
    expired: Type.Boolean(),
    expiry_date: NullableIsoTime,
    created_at: IsoTime,
    updated_at: IsoTime,
  }),
}, { title: 'Profile' })
export type Profile = Static<typeof Profile>
