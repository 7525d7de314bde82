// Catalogue 11 at the store: the users triggers (migrations/2026-11-24T00-user-change-
// revocations.ts) write a 'user' entry to the revocation log for every UPDATE and DELETE of a
// users row, in its transaction, with the database's time in epoch milliseconds; also when
// the change comes from outside Keyturn. `down` removes them.
import { Migrator, sql } from 'kysely'
import t from 'tap'
import { migrations } from '../../../migrations/index.js'
import { migrateToLatest } from '../../../plugins/infra/store/migrate.js'
import { migratedStore, stores } from '../../helper.js'
import { operatorConnection } from '../../operator-connection.js'

for (const kind of stores()) {
  t.test(`catalogue 11: the users triggers write the revocation log (${kind})`, async (t) => {
    const store = await migratedStore(t, kind)
    const { db, url } = store

    const newUser = async (username: string) =>
      (await db.insertInto('users').values({ username, email: null, password_hash: 'x', date_joined: 0, created_at: 0, updated_at: 0 }).returning('id').executeTakeFirstOrThrow()).id
    const logged = async () =>
      db.selectFrom('revocations').select(['kind', 'subject_id', 'created_at']).orderBy('id').execute()

    const ann = await newUser('ann')
    const ben = await newUser('ben')
    // Inserts are logged by the next migration's trigger (client-and-new-user-revocations.test.ts).
    await db.deleteFrom('revocations').execute()

    const before = Date.now()
    await db.updateTable('users').set({ is_active: 0 }).where('id', '=', ann).execute()
    await db.deleteFrom('users').where('id', '=', ben).execute()
    const after = Date.now()
    const rows = await logged()
    t.same(rows.map((r) => [r.kind, r.subject_id]), [['user', ann], ['user', ben]], 'one entry per update and per delete')
    for (const row of rows) {
      t.ok(Number.isInteger(row.created_at), 'created_at is an integer')
      // The same machine's clock as ours: within a couple of ms of the change.
      t.ok(row.created_at >= before - 2 && row.created_at <= after + 2, `created_at ${row.created_at} is the ms of the change (${before}..${after})`)
    }

    const rolledBack = db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ is_staff: 1 }).where('id', '=', ann).execute()
      throw new Error('changed my mind')
    })
    await t.rejects(rolledBack)
    t.equal((await logged()).length, 2, 'a change rolled back writes nothing: the entry is in its transaction')

    const operator = await operatorConnection(t, url)
    await operator.exec(`update ${operator.users} set is_staff = 1 where id = ${ann}`)
    await operator.exec(`delete from ${operator.users} where id = ${ann}`)
    t.same((await logged()).slice(2).map((r) => r.subject_id), [ann, ann], 'changes made outside Keyturn are logged too')

    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(store.schema ? { migrationTableSchema: store.schema } : {}) })
    const down = await migrator.migrateTo('2026-11-23T00-audit-events')
    if (down.error) throw down.error
    // Every migration after it, newest first (later ones included, so this holds as they come).
    const undone = Object.keys(migrations).filter((name) => name > '2026-11-23T00-audit-events').reverse()
    t.same(down.results?.map((r) => r.migrationName), undone)
    t.same(undone.slice(-2), ['2026-11-24T01-client-and-new-user-revocations', '2026-11-24T00-user-change-revocations'])
    const cal = await newUser('cal')
    await db.updateTable('users').set({ is_active: 0 }).where('id', '=', cal).execute()
    await db.deleteFrom('users').where('id', '=', cal).execute()
    t.equal((await logged()).length, 4, 'after down, changes write nothing')
    const schema = store.schema ?? 'public'
    const left =
      kind === 'postgres'
        ? await sql<{ name: string }>`select tgname as name from pg_trigger where tgrelid = 'users'::regclass and not tgisinternal
            union all select proname from pg_proc where pronamespace = ${schema}::regnamespace and proname = 'keyturn_user_changed'
            union all select column_name from information_schema.columns where table_schema = ${schema} and table_name = 'revocations' and column_name = 'xact'`.execute(db)
        : await sql<{ name: string }>`select name from sqlite_master where type = 'trigger'`.execute(db)
    t.same(left.rows, [], 'down drops the triggers (and on Postgres the function and the xact column)')

    const again = await migrateToLatest(db, store.schema)
    t.equal(again.error, undefined, 'and up runs again')
  })
}
