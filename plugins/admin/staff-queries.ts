// The queries staff run: sessions across users, scoped to a tenant, filtered and paginated.
import { sql } from 'kysely'
import type { PageParams } from '../infra/pagination.js'
import { countedPage, type CountedPage } from '../infra/store/counted-page.js'
import type { Executor } from '../infra/store/database.js'
import type { Session } from '../sessions/tables.js'
import type { TenantScope } from '../users/tenancy.js'

export interface AdminSessionFilter {
  scope: TenantScope
  clientType?: string | undefined
  isActive?: boolean | undefined
  q?: string | undefined
  now: number
  idleTimeoutMs: number
}

export type AdminSessionRow = Session & { username: string; client_id: number | null }

function filtered(db: Executor, f: AdminSessionFilter) {
  let query = db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
  if (!f.scope.all) {
    const clientId = f.scope.clientId
    query = clientId === null ? query.where('users.client_id', 'is', null) : query.where('users.client_id', '=', clientId)
  }
  if (f.clientType !== undefined) query = query.where('sessions.client_type', '=', f.clientType)
  if (f.isActive !== undefined) {
    const idleCutoff = f.idleTimeoutMs > 0 ? f.now - f.idleTimeoutMs : undefined
    query = query.where((eb) => {
      const live = [eb('sessions.revoked_at', 'is', null), eb('sessions.expires_at', '>', f.now)]
      if (idleCutoff !== undefined) live.push(eb('sessions.last_activity', '>=', idleCutoff))
      return f.isActive ? eb.and(live) : eb.not(eb.and(live))
    })
  }
  if (f.q !== undefined && f.q !== '') {
    // Case-insensitive substring match on both stores; LIKE wildcards in q are literal.
    const pattern = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query = query.where((eb) =>
      eb.or(
        (['users.username', 'sessions.device_name', 'sessions.ip_address'] as const).map(
          (col) => sql<boolean>`lower(${eb.ref(col)}) like ${pattern} escape '\\'`,
        ),
      ),
    )
  }
  return query
}

export function listSessionsForAdmin(db: Executor, f: AdminSessionFilter, page: PageParams): Promise<CountedPage<AdminSessionRow>> {
  return countedPage(filtered(db, f), (query) =>
    query
      .selectAll('sessions')
      .select(['users.username', 'users.client_id'])
      .orderBy('sessions.last_activity', 'desc')
      .orderBy('sessions.id', 'desc'),
  page)
}

export async function findSessionForAdmin(
  db: Executor,
  scope: TenantScope,
  id: number,
): Promise<(Session & { client_id: number | null }) | undefined> {
  let query = db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('sessions')
    .select('users.client_id')
    .where('sessions.id', '=', id)
  if (!scope.all) {
    query = scope.clientId === null ? query.where('users.client_id', 'is', null) : query.where('users.client_id', '=', scope.clientId)
  }
  return query.executeTakeFirst()
}
