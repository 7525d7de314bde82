// Who a console cookie belongs to: its token's hash names a session, which must be live (not
// revoked, not past its end, used within the console's idle timeout) and whose user must
// still be active, unexpired and staff. Read from the store on every request, so a session
// revoked anywhere (the API, another instance, the CLI) is out at its next request.
import { createHash, randomBytes } from 'node:crypto'
import type { Executor } from '../infra/store/database.js'
import { isAccountExpired } from '../users/users-store.js'
import './tables.js'

export interface ConsoleUser {
  id: number
  username: string
  clientId: number | null
  clientName: string | null
  isStaff: boolean
  isSuperuser: boolean
  sessionId: number
}

export function newCookieToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: tokenHash(token) }
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

// The user, and when its session was last active (to move that without another read).
export async function signedInUser(
  db: Executor,
  token: string,
  now: number,
  idleTimeoutMs: number,
): Promise<{ user: ConsoleUser; lastActivity: number } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined
  const row = await db
    .selectFrom('console_sessions')
    .innerJoin('sessions', 'sessions.id', 'console_sessions.session_id')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .leftJoin('clients', 'clients.id', 'users.client_id')
    .select([
      'sessions.id as session_id',
      'sessions.revoked_at',
      'sessions.expires_at as session_expires_at',
      'sessions.last_activity',
      'users.id',
      'users.username',
      'users.client_id',
      'users.is_active',
      'users.is_staff',
      'users.is_superuser',
      'users.expires_at',
      'clients.name as client_name',
    ])
    .where('console_sessions.token_hash', '=', tokenHash(token))
    .executeTakeFirst()
  if (!row || row.revoked_at !== null || row.session_expires_at <= now) return undefined
  if (idleTimeoutMs > 0 && now - row.last_activity > idleTimeoutMs) return undefined
  if (row.is_active !== 1 || isAccountExpired(row, now) || (row.is_staff !== 1 && row.is_superuser !== 1)) return undefined
  const user = {
    id: row.id,
    username: row.username,
    clientId: row.client_id,
    clientName: row.client_name,
    isStaff: true,
    isSuperuser: row.is_superuser === 1,
    sessionId: row.session_id,
  }
  return { user, lastActivity: row.last_activity }
}

export const TOUCH_EVERY_MS = 60_000

// Activity moves the idle deadline; written at most once a minute a session (the condition
// keeps concurrent requests from writing it twice).
export async function touchConsoleSession(db: Executor, sessionId: number, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_activity: now }).where('id', '=', sessionId).where('last_activity', '<', now - TOUCH_EVERY_MS).execute()
}
