// Custom claims from plugins (fastify.keyturn.claims.add). A hook is called at login for each
// of the two tokens; on refresh the new pair carries the refresh token's custom claims forward
// (as SimpleJWT copies a refresh token's claims into the tokens it mints), and only hooks
// added with { onRefresh: true } are called again. Hooks run before anything is written, so
// one that throws fails its login or refresh whole: nothing is issued, nothing half-committed.
import type { TokenType } from './token-claims.js'

// Names Keyturn (or JWT itself) gives a meaning: no plugin may set them.
export const RESERVED_CLAIM_NAMES: readonly string[] = Object.freeze([
  'token_type', 'exp', 'iat', 'nbf', 'jti', 'user_id', 'sid', 'client_id', 'iss', 'aud', 'sub', 'scope', 'kid',
])
// Module-private: a plugin holding the exported list cannot change what is refused.
const RESERVED_CLAIMS: ReadonlySet<string> = new Set(RESERVED_CLAIM_NAMES)

export interface ClaimContext {
  user: {
    id: number
    username: string
    email: string | null
    firstName: string
    lastName: string
    isStaff: boolean
    isSuperuser: boolean
    isManager: boolean
  }
  // At login the session is opened together with the tokens: its id is null then.
  session: { id: number | null; clientType: string | null; deviceName: string | null; ipAddress: string | null; userAgent: string | null }
  client: { id: number; name: string } | null
  tokenType: TokenType
  grant: 'login' | 'refresh'
}

export type CustomClaims = Record<string, unknown>
export type ClaimHook = (ctx: ClaimContext) => CustomClaims | Promise<CustomClaims>

export interface ClaimOptions {
  // The names the hook sets: checked against the reserved names when it is added, and
  // nothing else may come back from it. Required with onRefresh.
  names?: readonly string[]
  // Called again on refresh (else the refresh token's claims are carried forward).
  onRefresh?: boolean
}

interface Hook {
  fn: ClaimHook
  names: ReadonlySet<string> | undefined
  onRefresh: boolean
  owner: string
}

// A hook broke its promise: the request fails with a 500 whose detail stays in the log.
export class ClaimHookError extends Error {
  override name = 'ClaimHookError'
}

export class ClaimHooks {
  readonly #hooks: Hook[] = []

  // The names onRefresh hooks set: a refresh asks them afresh instead of carrying them
  // forward, so a claim such a hook no longer gives (a role taken away) is gone.
  readonly #recomputed = new Set<string>()

  add(fn: ClaimHook, options: ClaimOptions = {}, owner = 'unknown plugin'): void {
    if (typeof fn !== 'function') throw new Error(`${owner}: claims.add needs a function`)
    const reserved = (options.names ?? []).filter((name) => RESERVED_CLAIMS.has(name))
    if (reserved.length > 0) throw new Error(`${owner}: claim ${reserved.map((n) => `"${n}"`).join(', ')} is reserved by Keyturn`)
    const onRefresh = options.onRefresh === true
    if (onRefresh && options.names === undefined) throw new Error(`${owner}: a claims hook with onRefresh must list its names`)
    if (onRefresh) for (const name of options.names ?? []) this.#recomputed.add(name)
    this.#hooks.push({ fn, names: options.names ? new Set(options.names) : undefined, onRefresh, owner })
  }

  get any(): boolean {
    return this.#hooks.length > 0
  }

  get anyOnRefresh(): boolean {
    return this.#recomputed.size > 0
  }

  // What a refresh carries forward from the presented token: its custom claims but those
  // onRefresh hooks give afresh.
  carried(presented: object): CustomClaims | undefined {
    const custom = customClaimsOf(presented)
    if (custom === undefined || this.#recomputed.size === 0) return custom
    for (const name of this.#recomputed) delete custom[name]
    return custom
  }

  // The claims of every hook (or only the onRefresh ones) for each of the two tokens.
  async pair(base: Omit<ClaimContext, 'tokenType'>, onlyOnRefresh = false): Promise<{ access: CustomClaims; refresh: CustomClaims }> {
    return {
      refresh: await this.collect({ ...base, tokenType: 'refresh' }, onlyOnRefresh),
      access: await this.collect({ ...base, tokenType: 'access' }, onlyOnRefresh),
    }
  }

  private async collect(ctx: ClaimContext, onlyOnRefresh: boolean): Promise<CustomClaims> {
    const claims: CustomClaims = {}
    for (const hook of this.#hooks) {
      if (onlyOnRefresh && !hook.onRefresh) continue
      let result: unknown
      try {
        result = await hook.fn(ctx)
      } catch (err) {
        throw new ClaimHookError(`claims hook of ${hook.owner} failed`, { cause: err })
      }
      Object.assign(claims, checked(hook, result))
    }
    return claims
  }
}

// A user's row (with its client's name) as hooks see it.
export function claimUser(row: {
  id: number
  username: string
  email: string | null
  first_name: string
  last_name: string
  is_staff: number
  is_superuser: number
  is_manager: number
}): ClaimContext['user'] {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isStaff: row.is_staff === 1,
    isSuperuser: row.is_superuser === 1,
    isManager: row.is_manager === 1,
  }
}

export function claimClient(row: { client_id: number | null; client_name: string | null }): ClaimContext['client'] {
  return row.client_id === null ? null : { id: row.client_id, name: row.client_name ?? '' }
}

function checked(hook: Hook, result: unknown): CustomClaims {
  if (result === undefined || result === null) return {}
  if (typeof result !== 'object' || Array.isArray(result)) throw new ClaimHookError(`claims hook of ${hook.owner} returned no object`)
  for (const name of Object.keys(result)) {
    if (RESERVED_CLAIMS.has(name)) throw new ClaimHookError(`claims hook of ${hook.owner} returned the reserved claim "${name}"`)
    if (hook.names && !hook.names.has(name)) throw new ClaimHookError(`claims hook of ${hook.owner} returned "${name}", which it did not name`)
  }
  return result as CustomClaims
}

// The custom claims a token carries: everything but the reserved names.
// (A refresh reads it from every token it rotates: no allocation unless there is one.)
export function customClaimsOf(claims: object): CustomClaims | undefined {
  let custom: CustomClaims | undefined
  for (const name in claims) {
    if (!RESERVED_CLAIMS.has(name)) (custom ??= {})[name] = (claims as CustomClaims)[name]
  }
  return custom
}
