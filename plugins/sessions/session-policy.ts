// When a session ends: at its absolute end (set at login, never moved by rotation), when
// revoked, or after an idle stretch with no refresh (when an idle timeout is configured).
import type { KeyturnConfig } from '../../fastify.config.js'
import type { Session } from './tables.js'

export interface SessionPolicy {
  lifetimeMs: number
  idleTimeoutMs: number // 0: no idle timeout
}

export function sessionPolicy(config: KeyturnConfig): SessionPolicy {
  return { lifetimeMs: config.KEYTURN_SESSION_LIFETIME, idleTimeoutMs: config.KEYTURN_SESSION_IDLE_TIMEOUT }
}

export function isSessionActive(
  session: Pick<Session, 'revoked_at' | 'expires_at' | 'last_activity'>,
  policy: SessionPolicy,
  now: number,
): boolean {
  if (session.revoked_at !== null || session.expires_at <= now) return false
  return policy.idleTimeoutMs === 0 || now - session.last_activity <= policy.idleTimeoutMs
}
