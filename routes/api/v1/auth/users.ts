// Staff see their own client's users; superusers see every client's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { page, pageParams, tenantScope } from '../../../../auth/pagination.js'
import { toProfile } from '../../../../auth/profile.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../../../schemas/common.js'
import { Profile } from '../../../../schemas/profile.js'
import { Page, Pagination } from '../../../../schemas/sessions.js'
import { listUsers } from '../../../../store/users.js'

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/users/',
    {
      onRequest: [fastify.authenticate, fastify.requireStaff],
      schema: {
        tags: ['users'],
        summary: 'Users the caller may see (staff only)',
        security: bearerSecurity,
        querystring: Pagination,
        response: withAuthErrors({ 200: Page(Profile), 403: Detail }),
      },
    },
    async (request) => {
      const params = pageParams(request.query)
      const { count, rows } = await listUsers(fastify.db, tenantScope(request.user), params.limit, params.offset)
      const now = Date.now()
      return page(request, params, count, rows.map((u) => toProfile(u, now)))
    },
  )
}

export default users
