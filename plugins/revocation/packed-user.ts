// A cached user as one string: its fields in a fixed order, written as a JSON array. As an
// object a cached user is about 350 bytes of heap and eight objects (the object, its strings,
// a box for each date) that the collector marks on every full collection; packed, about 180
// bytes and one string with nothing inside to follow. Reading one back is a JSON.parse of
// about 150 characters, some 0.8 µs (user-cache.ts decides which users are kept packed).
import type { UserWithClient } from '../users/users-store.js'

// The user's row as authentication and the profile need it; never the password hash.
export type CachedUser = Omit<UserWithClient, 'password_hash'>

export function packUser(u: CachedUser): string {
  return JSON.stringify([
    u.id,
    u.client_id,
    u.username,
    u.email,
    u.first_name,
    u.last_name,
    u.client_name,
    u.is_active,
    u.is_staff,
    u.is_superuser,
    u.is_manager,
    u.date_joined,
    u.last_login,
    u.expires_at,
    u.created_at,
    u.updated_at,
  ] satisfies FieldsInOrder)
}

export function unpackUser(text: string): CachedUser {
  const v = JSON.parse(text) as FieldsInOrder
  // One object literal, so every user read back has the same shape.
  return {
    id: v[0],
    client_id: v[1],
    username: v[2],
    email: v[3],
    first_name: v[4],
    last_name: v[5],
    client_name: v[6],
    is_active: v[7],
    is_staff: v[8],
    is_superuser: v[9],
    is_manager: v[10],
    date_joined: v[11],
    last_login: v[12],
    expires_at: v[13],
    created_at: v[14],
    updated_at: v[15],
  } satisfies Record<keyof CachedUser, unknown>
}

// The tenant of a packed user, read from its start ("[id,client_id,..."): a client renamed or
// deleted walks every cached user, and parsing each whole would take 100-200 ms at 200k.
export function packedClientId(text: string): number | null {
  const from = text.indexOf(',') + 1
  const value = text.slice(from, text.indexOf(',', from))
  return value === 'null' ? null : Number(value)
}

// The id and the tenant first, so that packedClientId reads no further.
type FieldsInOrder = [
  CachedUser['id'],
  CachedUser['client_id'],
  CachedUser['username'],
  CachedUser['email'],
  CachedUser['first_name'],
  CachedUser['last_name'],
  CachedUser['client_name'],
  CachedUser['is_active'],
  CachedUser['is_staff'],
  CachedUser['is_superuser'],
  CachedUser['is_manager'],
  CachedUser['date_joined'],
  CachedUser['last_login'],
  CachedUser['expires_at'],
  CachedUser['created_at'],
  CachedUser['updated_at'],
]
