// The triggers of migrations/2026-11-24T01-client-and-new-user-revocations.ts: a client
// renamed or deleted writes a 'client' entry to the revocation log, and a user inserted a
// 'user' entry, in the change's transaction, also when the change comes from outside
// Keyturn. `down` removes them.
import { Migrator, sql } from 'kysely'
import t from 'tap'
import { migrations } from '../../../migrations/index.js'
import { migrateToLatest } from '../../../plugins/infra/store/migrate.js'
import { migratedStore, stores } from '../../helper.js'
import { operatorConnection } from '../../operator-connection.js'

for (const kind of stores()) {
  t.test(`the clients and users-insert triggers write the revocation log (${kind})`, async (t) => {
    const store = await migratedStore(t, kind)
    const { db, url } = store
    const newClient = async (name: string) =>
      (await db.insertInto('clients').values({ name, created_at: 0 }).returning('id').executeTakeFirstOrThrow()).id
    const newUser = async (username: string, clientId: number | null = null) =>
      (
        await db
          .insertInto('users')
          .values({ username, email: null, password_hash: 'x', client_id: clientId, date_joined: 0, created_at: 0, updated_at: 0 })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    const entries = async () => (await db.selectFrom('revocations').select(['kind', 'subject_id']).orderBy('id').execute()).map((r) => [r.kind, r.subject_id])
    const clear = () => db.deleteFrom('revocations').execute()

    const acme = await newClient('Acme')
    t.same(await entries(), [], 'creating a client writes nothing')
    const ann = await newUser('ann', acme)
    t.same(await entries(), [['user', ann]], 'an inserted user is logged by its id')

    await clear()
    const before = Date.now()
    await db.updateTable('clients').set({ name: 'Acme Ltd' }).where('id', '=', acme).execute()
    const after = Date.now()
    t.same(await entries(), [['client', acme]], 'a renamed client is logged by its id')
    const row = await db.selectFrom('revocations').select('created_at').executeTakeFirstOrThrow()
    t.ok(row.created_at >= before - 2 && row.created_at <= after + 2, `created_at ${row.created_at} is the ms of the change (${before}..${after})`)

    await clear()
    const rolledBack = db.transaction().execute(async (trx) => {
      await trx.updateTable('clients').set({ name: 'Nope' }).where('id', '=', acme).execute()
      await trx.insertInto('users').values({ username: 'ghost', email: null, password_hash: 'x', date_joined: 0, created_at: 0, updated_at: 0 }).execute()
      throw new Error('changed my mind')
    })
    await t.rejects(rolledBack)
    t.same(await entries(), [], 'changes rolled back write nothing: the entries are in their transaction')

    const operator = await operatorConnection(t, url)
    await operator.exec(`update ${operator.clients} set name = 'Acme GmbH' where id = ${acme}`)
    await operator.exec(`delete from ${operator.clients} where id = ${acme}`)
    // Deleting the client also sets its users' client_id to null, which the users trigger logs.
    t.same((await entries()).filter(([k]) => k === 'client'), [['client', acme], ['client', acme]], 'an operator renaming or deleting a client is logged')
    await clear()
    await operator.exec(`delete from ${operator.users} where id = ${ann}`)
    await operator.exec(`insert into ${operator.users} (id, username, password_hash, date_joined, created_at, updated_at) values (${ann}, 'ann', 'x', 0, 0, 0)`)
    t.same(await entries(), [['user', ann], ['user', ann]], 'a deleted user restored under its id is logged by its insert too')

    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(store.schema ? { migrationTableSchema: store.schema } : {}) })
    const down = await migrator.migrateTo('2026-11-24T00-user-change-revocations')
    if (down.error) throw down.error
    // Every migration after it, newest first (later ones included, so this holds as they come).
    const undone = Object.keys(migrations).filter((name) => name > '2026-11-24T00-user-change-revocations').reverse()
    t.same(down.results?.map((r) => r.migrationName), undone)
    t.equal(undone.at(-1), '2026-11-24T01-client-and-new-user-revocations')
    await clear()
    const other = await newClient('Other')
    await newUser('cal', other)
    await db.updateTable('clients').set({ name: 'Other 2' }).where('id', '=', other).execute()
    await db.deleteFrom('clients').where('id', '=', other).execute()
    t.same((await entries()).filter(([k]) => k === 'client'), [], 'after down, client changes write nothing')
    t.equal((await entries()).length, 1, 'after down, an insert writes nothing (the delete\'s set-null update still does)')
    const schema = store.schema ?? 'public'
    const left =
      kind === 'postgres'
        ? await sql<{ name: string }>`select tgname as name from pg_trigger where tgrelid in ('clients'::regclass, 'users'::regclass) and not tgisinternal and tgname <> 'users_changed'
            union all select proname from pg_proc where pronamespace = ${schema}::regnamespace and proname in ('keyturn_clients_changed', 'keyturn_users_inserted')`.execute(db)
        : await sql<{ name: string }>`select name from sqlite_master where type = 'trigger' and name not in ('users_updated', 'users_deleted')`.execute(db)
    t.same(left.rows, [], 'down drops the triggers (and on Postgres their functions)')

    const again = await migrateToLatest(db, store.schema)
    t.equal(again.error, undefined, 'and up runs again')
  })
}
