// A connection to a test store that is not Keyturn's, as an operator's psql or sqlite3 would
// have: changes made on it reach Keyturn only through the store. On Postgres the test's
// schema is not on its search_path, so `users` and `clients` name the tables with its schema.
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { sqlitePath } from '../plugins/infra/store/connect.js'

export interface OperatorConnection {
  users: string
  clients: string
  // Any of Keyturn's tables, named as `users` is.
  table(name: string): string
  exec(statement: string): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function operatorConnection(t: Teardown, url: string): Promise<OperatorConnection> {
  if (url.startsWith('sqlite:')) {
    const db = new SQLite(sqlitePath(url))
    t.teardown(() => db.close())
    // better-sqlite3 waits for a lock synchronously: let Keyturn's open batch (committed at
    // the end of this event-loop turn) go first, as it would for another process.
    const exec = async (statement: string) => {
      await new Promise((resolve) => setImmediate(resolve))
      db.exec(statement)
    }
    return { users: 'users', clients: 'clients', table: (name) => name, exec }
  }
  const parsed = new URL(url)
  const schema = parsed.searchParams.get('schema') ?? 'public'
  parsed.searchParams.delete('schema')
  const client = new pg.Client({ connectionString: parsed.toString() })
  await client.connect()
  t.teardown(() => client.end())
  const table = (name: string) => `"${schema}".${name}`
  return { users: table('users'), clients: table('clients'), table, exec: async (statement) => void (await client.query(statement)) }
}
