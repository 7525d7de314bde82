// The SQLite page cache is Keyturn's bound (KEYTURN_SQLITE_CACHE_MB on both the writer and
// the reader connection), not better-sqlite3's 16 MB, so the process's memory levels off.
import t from 'tap'
import { sql } from 'kysely'
import { openStore } from '../../../../plugins/infra/store/connect.js'
import { freshStore } from '../../../helper.js'

t.test('each SQLite connection gets the configured page cache', async (t) => {
  for (const [options, kib] of [[{}, 4096], [{ sqliteCacheMb: 32 }, 32768]] as const) {
    const { url, cleanup } = freshStore('sqlite')
    const store = openStore(url, options)
    t.teardown(async () => {
      await store.close()
      await cleanup()
    })
    const pragma = sql<{ cache_size: number }>`pragma cache_size`
    // Outside a transaction on the reader, inside one on the writer.
    t.same((await pragma.execute(store.db)).rows, [{ cache_size: -kib }], `the reader: ${kib} KiB`)
    t.same((await store.db.transaction().execute((trx) => pragma.execute(trx))).rows, [{ cache_size: -kib }], `the writer: ${kib} KiB`)
  }
})
