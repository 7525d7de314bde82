// The `admin` concern: staff see and end the sessions of their own client (a superuser, of
// every client).
import fp from 'fastify-plugin'
import type { Cursor, KeysetPage } from '../infra/keyset.js'
import type { PageParams } from '../infra/pagination.js'
import type { Session } from '../sessions/tables.js'
import type { TenantScope } from '../users/tenancy.js'
import { countSessionsForAdmin, findSessionForAdmin, listSessionsForAdmin, sessionsAfter, type AdminSessionFilter, type AdminSessionRow } from './staff-queries.js'

export type SessionFilter = Omit<AdminSessionFilter, 'idleTimeoutMs'>

export interface AdminService {
  listSessions(filter: SessionFilter, page: PageParams): Promise<{ count: number; rows: AdminSessionRow[] }>
  // The same listing by keyset: the page after (or before) a cursor, at any depth alike.
  sessionsAfter(filter: SessionFilter, cursor: Cursor, limit: number): Promise<KeysetPage<AdminSessionRow>>
  count(filter: SessionFilter): Promise<number>
  // A session the scope may see; undefined otherwise, exactly as for a missing one.
  findSession(scope: TenantScope, id: number): Promise<Session | undefined>
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
      sessionsAfter: (filter, cursor, limit) => sessionsAfter(db, { ...filter, idleTimeoutMs: sessions.policy.idleTimeoutMs }, cursor, limit),
      count: (filter) => countSessionsForAdmin(db, { ...filter, idleTimeoutMs: sessions.policy.idleTimeoutMs }),
      findSession: (scope, id) => findSessionForAdmin(db, scope, id),
    } satisfies AdminService)
  },
  { name: 'admin', dependencies: ['db', 'sessions'] },
)
