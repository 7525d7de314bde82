// The `admin` concern: staff see and end the sessions of their own client (a superuser, of
// every client).
import fp from 'fastify-plugin'
import type { PageParams } from '../infra/pagination.js'
import type { Session } from '../sessions/tables.js'
import type { TenantScope } from '../users/tenancy.js'
import { findSessionForAdmin, listSessionsForAdmin, type AdminSessionFilter, type AdminSessionRow } from './staff-queries.js'

export interface AdminService {
  listSessions(filter: Omit<AdminSessionFilter, 'idleTimeoutMs'>, page: PageParams): Promise<{ count: number; rows: AdminSessionRow[] }>
  // A session the scope may see; undefined otherwise, exactly as for a missing one.
  findSession(scope: TenantScope, id: number): Promise<(Session & { client_id: number | null }) | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    admin: AdminService
  }
}

export default fp(
  async (fastify) => {
    const { db, sessions } = fastify
    fastify.decorate('admin', {
      listSessions: (filter, page) => listSessionsForAdmin(db, { ...filter, idleTimeoutMs: sessions.policy.idleTimeoutMs }, page),
      findSession: (scope, id) => findSessionForAdmin(db, scope, id),
    } satisfies AdminService)
  },
  { name: 'admin', dependencies: ['db', 'sessions'] },
)
