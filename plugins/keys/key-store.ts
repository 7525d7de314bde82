// The signing_keys table's queries. Changes are made under a lock (lockedKeys) so that
// instances deciding a rotation at the same moment take turns; the partial unique indexes
// (one active, at most one next) back it up.
import { sql, type Kysely, type Selectable } from 'kysely'
import { isPostgres, type Database, type Executor, type Transaction } from '../infra/store/database.js'
import type { KeyState, SigningKeyTable } from './tables.js'

export type SigningKeyRow = Selectable<SigningKeyTable>

// The keys that still matter to verifiers (revoked ones are kept only for `keys list`).
export async function liveKeys(db: Executor): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().where('state', 'in', ['next', 'active', 'retired']).orderBy('id').execute()
}

export async function allKeys(db: Executor): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('id').execute()
}

export async function keyByKid(db: Executor, kid: string): Promise<SigningKeyRow | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst()
}

export async function insertKey(db: Executor, row: Omit<SigningKeyRow, 'id'>): Promise<SigningKeyRow> {
  return db.insertInto('signing_keys').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function setKeyState(db: Executor, id: number, state: KeyState, now: number): Promise<void> {
  const at = { active: 'activated_at', retired: 'retired_at', revoked: 'revoked_at', next: undefined }[state]
  await db
    .updateTable('signing_keys')
    .set({ state, ...(at ? { [at]: now } : {}) })
    .where('id', '=', id)
    .execute()
}

export async function setActivation(db: Executor, id: number, activatesAt: number): Promise<void> {
  await db.updateTable('signing_keys').set({ activates_at: activatesAt }).where('id', '=', id).execute()
}

export async function deleteKey(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('signing_keys').where('id', '=', id).execute()
}

// A transaction that holds the keys' lock from its first statement, so two processes never
// both read the keys and then both decide: a Postgres advisory lock (named after the schema,
// so stores side by side do not wait on each other); on SQLite every transaction already
// holds the write lock from its BEGIN IMMEDIATE (sqlite-group-commit.ts).
export async function lockedKeys<T>(db: Kysely<Database>, change: (trx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.signing_keys'))`.execute(trx)
    return change(trx)
  })
}
