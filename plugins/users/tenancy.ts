// Whose rows a staff caller may see: a superuser every client's, staff their own client's.
export type TenantScope = { all: true } | { all: false; clientId: number | null }

export function tenantScope(user: { isSuperuser: boolean; clientId: number | null }): TenantScope {
  return user.isSuperuser ? { all: true } : { all: false, clientId: user.clientId }
}
