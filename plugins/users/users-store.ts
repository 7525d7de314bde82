// The users table: look-ups for login, authentication and the profile, and the writes the
// flows make to a user's row.
import { compiledQuery } from '../infra/store/compiled.js'
import type { Executor } from '../infra/store/database.js'
import type { NewUser, User, UserTable } from './tables.js'

export type UserWithClient = User & { client_name: string | null }

// `login` is a username (exact) or an email (stored lower-cased, so matched lower-cased).
export async function findUserByLogin(db: Executor, login: string): Promise<UserWithClient | undefined> {
  return (await userByLogin(db, login, login.toLowerCase())).rows[0]
}

// Every column of users, named: a statement Postgres keeps prepared must not say `users.*`,
// whose meaning a migration adding a column would change under it (pg-prepared.ts).
export const USER_COLUMNS = [
  'users.id',
  'users.username',
  'users.email',
  'users.password_hash',
  'users.first_name',
  'users.last_name',
  'users.client_id',
  'users.is_active',
  'users.is_staff',
  'users.is_superuser',
  'users.is_manager',
  'users.date_joined',
  'users.last_login',
  'users.expires_at',
  'users.created_at',
  'users.updated_at',
] as const satisfies ReadonlyArray<`users.${keyof UserTable}`>
// Fails to compile when a column is added to UserTable but not to the list.
const everyUserColumn: Exclude<`users.${keyof UserTable}`, (typeof USER_COLUMNS)[number]> extends never ? true : never = true
void everyUserColumn

// Every login: compiled once.
const userByLogin = compiledQuery(
  (db, username: string, email: string) =>
    db
      .selectFrom('users')
      .leftJoin('clients', 'clients.id', 'users.client_id')
      .select(USER_COLUMNS)
      .select('clients.name as client_name')
      .where((eb) => eb.or([eb('users.username', '=', username), eb('users.email', '=', email)]))
      .orderBy('users.id')
      .limit(1),
  2,
)

const userById = compiledQuery(
  (db, id: number) =>
    db
      .selectFrom('users')
      .leftJoin('clients', 'clients.id', 'users.client_id')
      .select(USER_COLUMNS)
      .select('clients.name as client_name')
      .where('users.id', '=', id),
  1,
)

// On every authenticated profile read and every refresh: compiled once.
export async function findUserById(db: Executor, id: number): Promise<UserWithClient | undefined> {
  return (await userById(db, id)).rows[0]
}

export async function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
}

export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow()
}

export async function setPasswordHash(db: Executor, id: number, hash: string, now: number): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', id).execute()
}

const lastLogin = compiledQuery((db, id: number, now: number) => db.updateTable('users').set({ last_login: now }).where('id', '=', id), 2)

export async function touchLastLogin(db: Executor, id: number, now: number): Promise<void> {
  await lastLogin(db, id, now)
}

export function isAccountExpired(user: Pick<User, 'expires_at'>, now: number): boolean {
  return user.expires_at !== null && user.expires_at <= now
}
