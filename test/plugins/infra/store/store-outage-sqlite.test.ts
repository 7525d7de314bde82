// Security catalogue 23, SQLite: another process holds the file's write lock (chmod cannot
// make a file unwritable for root, so a lock is how the store "goes away" in CI). Writes
// wait KEYTURN_SQLITE_BUSY_TIMEOUT_MS, then answer 503 with the contract's body and change
// nothing. In WAL mode readers are not blocked by a writer, so the revocation poll keeps
// reading and authenticated calls keep working past the staleness limit: no revocation
// can be missed, since none can be committed while the lock is held. When the lock goes,
// the same instance serves writes again, with no restart.
import t from 'tap'
import SQLite from 'better-sqlite3'
import { sqlitePath } from '../../../../plugins/infra/store/connect.js'
import { bearer, build, createUser, login, post, PASSWORD, storeSnapshot, UNAVAILABLE } from '../../../helper.js'

const STALENESS_MS = 500

t.test('a SQLite file locked by another process: 503 and nothing changed, then recovery without a restart', async (t) => {
  const env = { KEYTURN_SQLITE_BUSY_TIMEOUT_MS: '200', KEYTURN_REVOCATION_MAX_STALENESS_MS: String(STALENESS_MS) }
  const app = await build(t, { env })
  // A second instance on the same file: its revocation reaches `app` only through the store.
  const other = await build(t, { url: app.config.KEYTURN_DATABASE_URL, env })
  await createUser(app, { username: 'olga' })
  const pair = await login(app, 'olga')
  const loggedOut = await login(app, 'olga')
  t.equal((await post(other, '/api/logout/', { refresh: loggedOut.refresh })).statusCode, 200, 'logged out before the outage')
  const me = (access: string) => app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })
  const snapshot = async () => ({
    ...(await storeSnapshot(app)),
    users: await app.db.selectFrom('users').selectAll().orderBy('id').execute(),
  })
  const before = await snapshot()

  const holder = new SQLite(sqlitePath(app.config.KEYTURN_DATABASE_URL))
  t.teardown(() => {
    if (holder.open) holder.close()
  })
  holder.exec('BEGIN EXCLUSIVE')

  const writes: Array<[string, unknown, Record<string, string>?]> = [
    ['/api/token/', { username: 'olga', password: PASSWORD }],
    ['/api/token/refresh/', { refresh: pair.refresh }],
    ['/api/token/blacklist/', { refresh: pair.refresh }],
    ['/api/logout/', { refresh: pair.refresh }],
    ['/api/users/auth/logout/', { refresh: pair.refresh }, bearer(pair.access)],
    ['/api/v1/auth/logout/', { refresh: pair.refresh }],
    ['/api/v1/auth/logout/all/', undefined, bearer(pair.access)],
  ]
  for (const [url, payload, headers] of writes) {
    const res = await post(app, url, payload, headers)
    t.equal(res.statusCode, 503, `${url}: ${res.body}`)
    t.strictSame(res.json(), UNAVAILABLE, `${url} body`)
  }
  t.strictSame(await snapshot(), before, 'nothing was written (read while the lock is held)')

  // Past the staleness limit, the poll still reads: calls keep working and revocations hold.
  await new Promise((r) => setTimeout(r, STALENESS_MS + 300))
  t.equal((await me(pair.access)).statusCode, 200, 'an authenticated call works from a fresh revocation log')
  const revoked = await me(loggedOut.access)
  t.equal(revoked.statusCode, 401, 'a revocation made before the outage is enforced')
  t.match(revoked.json(), { messages: [{ message: 'Token is blacklisted' }] })

  holder.exec('ROLLBACK')
  holder.close()

  t.strictSame(await snapshot(), before, 'nothing was written (read after the lock is gone)')
  t.equal((await post(app, '/api/token/', { username: 'olga', password: PASSWORD })).statusCode, 200, 'login works again')
  const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
  t.equal(refreshed.statusCode, 200, 'the refresh token was not consumed by the failed attempts')
  t.equal((await me(pair.access)).statusCode, 200, 'the session was not ended by the failed logouts')
  t.equal((await post(app, '/api/logout/', { refresh: refreshed.json<{ refresh: string }>().refresh })).statusCode, 200)
  t.equal((await me(pair.access)).statusCode, 401, 'a logout after the outage takes effect')
})
