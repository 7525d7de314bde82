// GET /api/v1/auth/users/: staff see their own client's users; superusers see every client's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { cursorPage, cursorParam, page, pageParams } from '../../../../../plugins/infra/pagination.js'
import { toProfile } from '../../../../../plugins/profile/profile-view.js'
import { tenantScope } from '../../../../../plugins/users/tenancy.js'
import { bearerSecurity, Detail, withAuthErrors } from '../../../../../schemas/common.js'
import { UsersPage, UsersQuery } from '../../../../../schemas/users.js'

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'Users the caller may see (staff only)',
        security: bearerSecurity,
        querystring: UsersQuery,
        response: withAuthErrors({ 200: UsersPage, 403: Detail, 404: Detail }),
      },
    },
    async (request) => {
      const params = pageParams(request.query)
      const filter = { scope: tenantScope(request.user), q: request.query.q }
      const now = Date.now()
      if (request.query.cursor !== undefined) {
        const keyset = await fastify.users.after(filter, cursorParam(request.query.cursor, 1), params.limit)
        return cursorPage(request, keyset, keyset.rows.map((u) => toProfile(u, now)))
      }
      const { count, rows } = await fastify.users.list(filter, params)
      return page(request, params, count, rows.map((u) => toProfile(u, now)))
    },
  )
}

export default users
