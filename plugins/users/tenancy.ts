// Whose rows a staff caller may see: a superuser every client's, staff their own client's.
export type TenantScope = { all: true } | { all: false; clientId: number | null }

export function tenantScope(user: { isSuperuser: boolean; clientId: number | null }): TenantScope {
  return user.isSuperuser ? { all: true } : { all: false, clientId: user.clientId }
}

// A query over a table with a client_id column, narrowed to the rows the scope may see.
export function withinScope<Q extends { where(column: 'client_id', op: 'is' | '=', value: number | null): Q }>(query: Q, scope: TenantScope): Q {
  if (scope.all) return query
  return scope.clientId === null ? query.where('client_id', 'is', null) : query.where('client_id', '=', scope.clientId)
}
