// A session as its user sees it (and, with more fields, as staff do).
import type { SessionView } from '../../schemas/sessions.js'
import { isoUtc } from '../infra/iso-time.js'
import { isSessionActive, type SessionPolicy } from './session-policy.js'
import type { Session } from './tables.js'

export function toSessionView(session: Session, currentSid: number | undefined, policy: SessionPolicy, now: number): SessionView {
  return {
    id: session.id,
    client_type: session.client_type,
    device_name: session.device_name,
    telegram_user_id: session.telegram_user_id,
    telegram_username: session.telegram_username,
    created_at: isoUtc(session.created_at),
    last_activity: isoUtc(session.last_activity),
    expires_at: isoUtc(session.expires_at),
    ip_address: session.ip_address,
    user_agent: session.user_agent,
    is_active: isSessionActive(session, policy, now),
    is_current: session.id === currentSid,
  }
}
