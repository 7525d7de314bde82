// The users staff may see: GET /api/v1/auth/users/.
import { Page, Pagination } from './common.js'
import { Profile } from './profile.js'

export const UsersQuery = Pagination
export const UsersPage = Page(Profile)
