// A user as the profile routes (and the staff user list) show it.
import type { Profile } from '../../schemas/profile.js'
import { isoOrNull, isoUtc } from '../infra/iso-time.js'
import type { CachedUser } from '../revocation/revocation-state.js'
import { isAccountExpired } from '../users/users-store.js'

// The parts of a user's profile that change only when the user does: rendered once per
// cached user (a change replaces the cached object), since five dates made into ISO text were
// a noticeable part of each GET /api/user/.
const rendered = new WeakMap<CachedUser, Omit<Profile, 'profile'> & { dates: Omit<Profile['profile'], 'expired'> }>()

function render(user: CachedUser) {
  let done = rendered.get(user)
  if (done === undefined) {
    done = {
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
      dates: { expiry_date: isoOrNull(user.expires_at), created_at: isoUtc(user.created_at), updated_at: isoUtc(user.updated_at) },
    }
    rendered.set(user, done)
  }
  return done
}

export function toProfile(user: CachedUser, now: number): Profile {
  const { dates, ...fields } = render(user)
  return { ...fields, profile: { expired: isAccountExpired(user, now), ...dates } }
}
