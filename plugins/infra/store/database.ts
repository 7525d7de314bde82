// The store's shape as Kysely sees it. Each concern declares its own tables by augmenting
// `Database` in its `tables.ts` (as it declares its decorators on FastifyInstance), so this
// layer knows no concern's table. Times are epoch milliseconds, flags 0/1, on both dialects
// (see the initial migration).
import { PostgresAdapter, type Kysely, type Transaction as KyselyTransaction } from 'kysely'

// Filled in by the concerns: `declare module '.../database.js' { interface Database { ... } }`.
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Database {}

// Repository functions take either, so a transaction is just an argument.
export type Transaction = KyselyTransaction<Database>
export type Executor = Kysely<Database> | Transaction

// For the few statements that differ by dialect.
export function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}
