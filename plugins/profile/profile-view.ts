// A user as the profile routes (and the staff user list) show it.
import type { Profile } from '../../schemas/profile.js'
import { isoOrNull, isoUtc } from '../infra/iso-time.js'
import type { CachedUser } from '../revocation/revocation-state.js'
import { isAccountExpired } from '../users/users-store.js'

// Rendered afresh each time: a rendered copy kept per cached user doubled what the user cache
// held (about 400 bytes a user), and with the dates written out by hand (iso-time.ts) it no
// longer saves anything worth that.
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
