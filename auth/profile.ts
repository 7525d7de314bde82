import type { CachedUser } from './revocation-state.js'
import { isAccountExpired } from '../store/users.js'
import type { Profile } from '../schemas/profile.js'

// ISO 8601 UTC with Z, as DRF renders it (no fraction when there is none).
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

const isoOrNull = (ms: number | null) => (ms === null ? null : isoUtc(ms))

export function toProfile(user: CachedUser, now: number): Profile {
  return {
    id: user.id,
    user_id: user.id,
    username: user.username,
    email: user.email ?? '',
    first_name: user.first_name,
    last_name: user.last_name,
    client_id: user.client_id,
    client_name: user.client_name,
    is_active: user.is_active === 1,
    is_staff: user.is_staff === 1,
    is_superuser: user.is_superuser === 1,
    is_manager: user.is_manager === 1,
    date_joined: isoUtc(user.date_joined),
    last_login: isoOrNull(user.last_login),
    profile: {
      expired: isAccountExpired(user, now),
      expiry_date: isoOrNull(user.expires_at),
      created_at: isoUtc(user.created_at),
      updated_at: isoUtc(user.updated_at),
    },
  }
}
