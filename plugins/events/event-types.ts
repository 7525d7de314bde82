// The auth events a plugin can listen to (fastify.keyturn.events.on). Each is emitted once,
// after the transaction that caused it has committed. No payload ever holds a token, a hash,
// a password, or a login name that matches no account.

// Why a session ended.
export type SessionEndReason = 'logout' | 'revoke' | 'logout_all' | 'password_change' | 'deactivation' | 'expiry' | 'reuse' | 'admin'

// Where a request came from (X-Forwarded-For only from a trusted proxy); null for the CLI.
export interface EventSource {
  ip: string | null
  userAgent: string | null
}

export interface AuthEvents {
  // newDevice: no earlier session of this user came from this address and user agent.
  login: EventSource & { userId: number; clientId: number | null; sessionId: number; clientType: string | null; deviceName: string | null; newDevice: boolean }
  // userId is null when the login named no account. backoff: this failure put the account
  // into the per-account backoff (a burst of failures).
  login_failed: EventSource & { userId: number | null; clientId: number | null; reason: 'invalid_credentials' | 'inactive' | 'expired' | 'not_staff'; backoff: boolean }
  // retried: a rotated token presented again within the reuse interval, answered with its successor.
  refresh: EventSource & { userId: number; clientId: number | null; sessionId: number; retried: boolean }
  reuse_detected: EventSource & { userId: number; clientId: number | null; sessionId: number }
  // everywhere: logout from every device (sessionId is then the session the request came from).
  logout: EventSource & { userId: number; clientId: number | null; sessionId: number; everywhere: boolean }
  // actorId: who ended it, when not the session's own user (staff).
  session_revoked: { userId: number; clientId: number | null; sessionId: number; reason: SessionEndReason; actorId: number | null }
  password_changed: { userId: number; clientId: number | null; endedSessions: number }
  user_created: { userId: number; clientId: number | null; username: string }
  // changes: the fields that changed (is_active, is_staff, is_superuser, is_manager, expires_at).
  user_updated: { userId: number; clientId: number | null; changes: string[] }
}

export type AuthEventType = keyof AuthEvents

// What a handler receives: the payload, its type, and when it was committed (ms since the epoch).
export type AuthEvent<T extends AuthEventType = AuthEventType> = AuthEvents[T] & { type: T; at: number }

export type AuthEventHandler<T extends AuthEventType> = (event: AuthEvent<T>) => void | Promise<void>

export const AUTH_EVENT_TYPES: readonly AuthEventType[] = [
  'login',
  'login_failed',
  'refresh',
  'reuse_detected',
  'logout',
  'session_revoked',
  'password_changed',
  'user_created',
  'user_updated',
]
