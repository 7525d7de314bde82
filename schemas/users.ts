// The users staff may see: GET /api/v1/auth/users/.
import { Type } from '@sinclair/typebox'
import { AnyPage, CursorParam, Pagination } from './common.js'
import { Profile } from './profile.js'

export const UsersQuery = Type.Composite([
  Pagination,
  CursorParam,
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 200, description: 'matches username or email (case-insensitive substring)' })),
  }),
])
export const UsersPage = AnyPage(Profile)
