// The three rows a refresh decides on (the user, the presented token, its session) in one
// statement: on Postgres each read was a round trip made while holding a pooled connection,
// on SQLite a statement, and a refresh is the hottest write there is.
import { compiledQuery } from './compiled.js'
import type { Executor, RefreshToken, Session } from './database.js'
import { USER_COLUMNS, type UserWithClient } from './users.js'

export type RefreshSession = Pick<Session, 'id' | 'user_id' | 'revoked_at' | 'expires_at' | 'last_activity'>

export interface RefreshContext {
  user: UserWithClient
  token: RefreshToken | undefined
  session: RefreshSession | undefined
}

const byClaims = compiledQuery(
  (db, jti: string, sessionId: number, userId: number) =>
    db
      .selectFrom('users')
      .leftJoin('clients', 'clients.id', 'users.client_id')
      .leftJoin('refresh_tokens', (join) => join.on((eb) => eb('refresh_tokens.jti', '=', jti)))
      .leftJoin('sessions', (join) => join.on((eb) => eb('sessions.id', '=', sessionId)))
      .select(USER_COLUMNS)
      .select([
        'clients.name as client_name',
        'refresh_tokens.jti as t_jti',
        'refresh_tokens.session_id as t_session_id',
        'refresh_tokens.user_id as t_user_id',
        'refresh_tokens.issued_at as t_issued_at',
        'refresh_tokens.expires_at as t_expires_at',
        'refresh_tokens.rotated_at as t_rotated_at',
        'refresh_tokens.replaced_by as t_replaced_by',
        'refresh_tokens.blacklisted_at as t_blacklisted_at',
        'refresh_tokens.grace_used_at as t_grace_used_at',
        'sessions.id as s_id',
        'sessions.user_id as s_user_id',
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
  const row = (await byClaims(db, jti, sessionId, userId)).rows[0]
  if (row === undefined) return undefined
  const {
    t_jti,
    t_session_id,
    t_user_id,
    t_issued_at,
    t_expires_at,
    t_rotated_at,
    t_replaced_by,
    t_blacklisted_at,
    t_grace_used_at,
    s_id,
    s_user_id,
    s_revoked_at,
    s_expires_at,
    s_last_activity,
    ...user
  } = row
  const token: RefreshToken | undefined =
    t_jti === null || t_session_id === null || t_user_id === null || t_issued_at === null || t_expires_at === null
      ? undefined
      : {
          jti: t_jti,
          session_id: t_session_id,
          user_id: t_user_id,
          issued_at: t_issued_at,
          expires_at: t_expires_at,
          rotated_at: t_rotated_at,
          replaced_by: t_replaced_by,
          blacklisted_at: t_blacklisted_at,
          grace_used_at: t_grace_used_at,
        }
  const session: RefreshSession | undefined =
    s_id === null || s_user_id === null || s_expires_at === null || s_last_activity === null
      ? undefined
      : { id: s_id, user_id: s_user_id, revoked_at: s_revoked_at, expires_at: s_expires_at, last_activity: s_last_activity }
  return { user, token, session }
}
