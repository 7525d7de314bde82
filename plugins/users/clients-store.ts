import type { Executor } from '../infra/store/database.js'
import type { Client } from './tables.js'

export async function createClient(db: Executor, name: string, now: number): Promise<Client> {
  return db.insertInto('clients').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow()
}

export async function findClientByName(db: Executor, name: string): Promise<Client | undefined> {
  return db.selectFrom('clients').selectAll().where('name', '=', name).executeTakeFirst()
}
