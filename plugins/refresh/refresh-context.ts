// What a refresh decides on (the user, the presented token, its session) in one statement:
// on Postgres each read was a round trip, on SQLite a statement, and a refresh is the
// hottest write there is. Only the columns the decision needs are read.
import { compiledQuery } from '../infra/store/compiled.js'
import type { Executor } from '../infra/store/database.js'
import type { Session } from '../sessions/tables.js'
import type { RefreshToken } from '../tokens/tables.js'
import type { User } from '../users/tables.js'

export type RefreshUser = Pick<User, 'id' | 'client_id' | 'is_active' | 'expires_at'>
export type PresentedToken = Pick<RefreshToken, 'jti' | 'session_id' | 'user_id' | 'rotated_at' | 'replaced_by' | 'blacklisted_at'>
export type RefreshSession = Pick<Session, 'id' | 'revoked_at' | 'expires_at' | 'last_activity'>

export interface RefreshContext {
  user: RefreshUser
  token: PresentedToken | undefined
  session: RefreshSession | undefined
}

const byClaims = compiledQuery(
  (db, jti: string, sessionId: number, userId: number) =>
    db
      .selectFrom('users')
      .leftJoin('refresh_tokens', (join) => join.on((eb) => eb('refresh_tokens.jti', '=', jti)))
      .leftJoin('sessions', (join) => join.on((eb) => eb('sessions.id', '=', sessionId)))
      .select([
        'users.id',
        'users.client_id',
        'users.is_active',
        'users.expires_at',
        'refresh_tokens.jti as t_jti',
        'refresh_tokens.session_id as t_session_id',
        'refresh_tokens.user_id as t_user_id',
        'refresh_tokens.rotated_at as t_rotated_at',
        'refresh_tokens.replaced_by as t_replaced_by',
        'refresh_tokens.blacklisted_at as t_blacklisted_at',
        'sessions.id as s_id',
        'sessions.revoked_at as s_revoked_at',
        'sessions.expires_at as s_expires_at',
        'sessions.last_activity as s_last_activity',
      ])
      .where('users.id', '=', userId),
  3,
)

// Undefined when the user does not exist; the token or the session undefined when missing.
export async function findRefreshContext(
  db: Executor,
  jti: string,
  sessionId: number,
  userId: number,
): Promise<RefreshContext | undefined> {
  const r = (await byClaims(db, jti, sessionId, userId)).rows[0]
  if (r === undefined) return undefined
  const user: RefreshUser = { id: r.id, client_id: r.client_id, is_active: r.is_active, expires_at: r.expires_at }
  const token: PresentedToken | undefined =
    r.t_jti === null || r.t_session_id === null || r.t_user_id === null
      ? undefined
      : {
          jti: r.t_jti,
          session_id: r.t_session_id,
          user_id: r.t_user_id,
          rotated_at: r.t_rotated_at,
          replaced_by: r.t_replaced_by,
          blacklisted_at: r.t_blacklisted_at,
        }
  const session: RefreshSession | undefined =
    r.s_id === null || r.s_expires_at === null || r.s_last_activity === null
      ? undefined
      : { id: r.s_id, revoked_at: r.s_revoked_at, expires_at: r.s_expires_at, last_activity: r.s_last_activity }
  return { user, token, session }
}
