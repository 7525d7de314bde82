// The `keyturn` commands on one store, in the order an operator runs them: each a child
// process on a real store, checked through the app on the same store.
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { childEnv } from '../child-processes.js'
import { bearer, post, type StoreName } from '../helper.js'
import { ALICE_PW, BOB_NEW_PW, BOB_PW, neverLeaks, onFreshStore, refused, type Tap } from './keyturn-command.js'

export function storeCommands(t: Tap, store: StoreName): void {
  t.test(`keyturn on ${store}`, async (t) => {
    const { s, procs, env, open } = onFreshStore(t, store)
    let app: FastifyInstance | undefined
    const keyturn = (args: string[], input?: string) => procs.run('cli/index.ts', args, env, input)

    await t.test('migrate creates the schema', async (t) => {
      const r = await keyturn(['migrate'])
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /applied migration 2026-11-22T00-initial-schema/)
      t.match(r.stdout, /store is up to date/)
    })

    app = await open()
    const db = app.db

    await t.test('createclient', async (t) => {
      const created = await keyturn(['createclient', '--name', 'Company ABC'])
      t.equal(created.code, 0, created.stderr)
      const row = await db.selectFrom('clients').selectAll().where('name', '=', 'Company ABC').executeTakeFirst()
      t.ok(row, 'the client is stored')
      t.match(created.stdout, new RegExp(`created client "Company ABC" \\(id ${row?.id}\\)`))
      t.notMatch(created.stdout, /applied migration/, 'a migrated store is not migrated again')

      const duplicate = await keyturn(['createclient', '--name', 'Company ABC'])
      refused(t, duplicate, /a client named "Company ABC" already exists/, 'duplicate client')
      const count = await db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      t.equal(Number(count.n), 1, 'nothing else was created')
    })

    await t.test('createuser with every flag, password from stdin', async (t) => {
      const expires = '2031-05-06T07:08:09Z'
      const r = await keyturn(
        [
          'createuser', '--username', 'alice', '--email', 'Alice@Example.com', '--first-name', 'Alice',
          '--last-name', 'Liddell', '--client', 'Company ABC', '--staff', '--superuser', '--manager',
          '--inactive', '--expires', expires, '--password-stdin',
        ],
        `${ALICE_PW}\n`,
      )
      t.equal(r.code, 0, r.stderr)
      const user = await db.selectFrom('users').selectAll().where('username', '=', 'alice').executeTakeFirstOrThrow()
      const client = await db.selectFrom('clients').selectAll().where('name', '=', 'Company ABC').executeTakeFirstOrThrow()
      t.match(r.stdout, new RegExp(`created user "alice" \\(id ${user.id}\\)`))
      t.match(user, {
        email: 'alice@example.com',
        first_name: 'Alice',
        last_name: 'Liddell',
        client_id: client.id,
        is_staff: 1,
        is_superuser: 1,
        is_manager: 1,
        is_active: 0,
        expires_at: Date.parse(expires),
      })
      t.match(user.password_hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
      t.ok(await app?.passwords.verify(user.password_hash, ALICE_PW), 'the hash is of the password, without the newline echo adds')
      t.notOk(await app?.passwords.verify(user.password_hash, `${ALICE_PW}\n`))
      neverLeaks(t, r, [ALICE_PW, user.password_hash], 'createuser')
    })

    await t.test('createuser without flags; the password is kept byte for byte and logs in', async (t) => {
      const r = await keyturn(['createuser', '--username', 'bob', '--password-stdin'], `${BOB_PW}\n`)
      t.equal(r.code, 0, r.stderr)
      neverLeaks(t, r, [BOB_PW], 'createuser bob')
      const bob = await db.selectFrom('users').selectAll().where('username', '=', 'bob').executeTakeFirstOrThrow()
      t.match(bob, { email: null, first_name: '', last_name: '', client_id: null, is_staff: 0, is_superuser: 0, is_manager: 0, is_active: 1, expires_at: null })
      if (!app) throw new Error('no app')
      t.equal((await post(app, '/api/token/', { username: 'bob', password: BOB_PW })).statusCode, 200)
      t.equal((await post(app, '/api/token/', { username: 'bob', password: BOB_PW.trim() })).statusCode, 401)
    })

    await t.test('createuser refuses what the store says no to, and creates nobody', async (t) => {
      const before = await db.selectFrom('users').select('username').execute()
      const cases: [string, string[], string | undefined, RegExp][] = [
        ['duplicate username', ['createuser', '--username', 'alice', '--password-stdin'], 'other pw\n', /a user named "alice" already exists/],
        ['unknown client', ['createuser', '--username', 'carl', '--client', 'Nope Inc', '--password-stdin'], 'carl pw\n', /unknown client "Nope Inc"/],
        ['empty password', ['createuser', '--username', 'fay', '--password-stdin'], '\n', /password must not be empty/],
      ]
      const results = await Promise.all(cases.map(([, args, input]) => keyturn(args, input)))
      cases.forEach(([what, , input, message], i) => {
        const r = results[i]
        if (!r) throw new Error('missing result')
        refused(t, r, message, what)
        neverLeaks(t, r, ['other pw', ...(input?.trim() ? [input.trim()] : [])], what)
      })
      const after = await db.selectFrom('users').select('username').execute()
      t.same(after, before, 'no user was created or changed')
    })

    await t.test('argon2id with the OWASP defaults when nothing is configured; --superuser implies staff', async (t) => {
      const noArgon2 = childEnv({ NODE_ENV: 'test', KEYTURN_DATABASE_URL: s.url, KEYTURN_DATA_DIR: s.dataDir })
      const r = await procs.run('cli/index.ts', ['createuser', '--username', 'root', '--superuser', '--password-stdin'], noArgon2, 'root pw\n')
      t.equal(r.code, 0, r.stderr)
      const row = await db.selectFrom('users').selectAll().where('username', '=', 'root').executeTakeFirstOrThrow()
      t.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      t.match(row, { is_superuser: 1, is_staff: 1, is_manager: 0, is_active: 1 })
      neverLeaks(t, r, ['root pw', row.password_hash], 'createuser root')
    })

    await t.test('changepassword: the old password stops working and every session ends', async (t) => {
      if (!app) throw new Error('no app')
      const a = app
      const login = async (password: string) => {
        const res = await post(a, '/api/token/', { username: 'bob', password })
        t.equal(res.statusCode, 200, res.body)
        return res.json<{ access: string; refresh: string; session_id: number }>()
      }
      const phone = await login(BOB_PW)
      const laptop = await login(BOB_PW)
      t.equal((await a.inject({ method: 'GET', url: '/api/user/', headers: bearer(phone.access) })).statusCode, 200, 'the access token works before')

      const bob = await db.selectFrom('users').select('id').where('username', '=', 'bob').executeTakeFirstOrThrow()
      const live = await db.selectFrom('sessions').select('id').where('user_id', '=', bob.id).where('revoked_at', 'is', null).execute()
      t.ok(live.length >= 2)

      const r = await keyturn(['changepassword', '--username', 'bob', '--password-stdin'], `${BOB_NEW_PW}\n`)
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, new RegExp(`password changed for "bob"; ended ${live.length} session\\(s\\)`))
      neverLeaks(t, r, [BOB_PW, BOB_NEW_PW], 'changepassword')

      t.equal((await post(a, '/api/token/', { username: 'bob', password: BOB_PW })).statusCode, 401, 'old password refused')
      t.equal((await post(a, '/api/token/', { username: 'bob', password: BOB_NEW_PW })).statusCode, 200, 'new password works')

      for (const pair of [phone, laptop]) {
        const refreshed = await post(a, '/api/token/refresh/', { refresh: pair.refresh })
        t.equal(refreshed.statusCode, 401, 'old refresh token refused')
        t.same(refreshed.json(), { detail: 'Token is blacklisted', code: 'token_not_valid' })
      }
      await a.revocations.sync(Date.now())
      const me = await a.inject({ method: 'GET', url: '/api/user/', headers: bearer(phone.access) })
      t.equal(me.statusCode, 401, 'old access token refused')
      t.match(me.json(), { code: 'token_not_valid', messages: [{ token_type: 'access', message: 'Token is blacklisted' }] })

      const sessions = await db.selectFrom('sessions').selectAll().where('id', 'in', live.map((l) => l.id)).execute()
      t.equal(sessions.length, live.length)
      for (const session of sessions) t.match(session, { revoked_at: Number, revoked_reason: 'password_changed' })

      const unknown = await keyturn(['changepassword', '--username', 'nobody', '--password-stdin'], 'pw\n')
      refused(t, unknown, /no user named "nobody"/, 'changepassword of an unknown user')
      t.equal((await post(a, '/api/token/', { username: 'bob', password: BOB_NEW_PW })).statusCode, 200, 'still the new password')
    })

    await t.test('flushexpiredtokens deletes expired refresh tokens and old revocations only', async (t) => {
      if (!app) throw new Error('no app')
      const now = Date.now()
      const bob = await db.selectFrom('users').select('id').where('username', '=', 'bob').executeTakeFirstOrThrow()
      const session = await db
        .insertInto('sessions')
        .values({ user_id: bob.id, created_at: now, last_activity: now, expires_at: now + 86_400_000 })
        .returning('id')
        .executeTakeFirstOrThrow()
      const jti = () => randomBytes(16).toString('hex')
      const row = (expiresAt: number, extra: { blacklisted_at?: number; rotated_at?: number } = {}) => ({
        jti: jti(),
        session_id: session.id,
        user_id: bob.id,
        issued_at: now - 8 * 86_400_000,
        expires_at: expiresAt,
        ...extra,
      })
      const expired = [row(now - 1000), row(now - 86_400_000, { blacklisted_at: now - 90_000_000 }), row(now - 5000, { rotated_at: now - 6000 })]
      const alive = [row(now + 3_600_000), row(now + 60_000, { blacklisted_at: now - 1000 })]
      await db.insertInto('refresh_tokens').values([...expired, ...alive]).execute()
      const keptBefore = (await db.selectFrom('refresh_tokens').select('jti').where('expires_at', '>=', now).execute()).map((r) => r.jti)

      const oldRevocation = await db.insertInto('revocations').values({ kind: 'session', subject_id: session.id, created_at: now - 2 * 86_400_000 }).returning('id').executeTakeFirstOrThrow()
      const recentRevocation = await db.insertInto('revocations').values({ kind: 'session', subject_id: session.id, created_at: now - 60_000 }).returning('id').executeTakeFirstOrThrow()

      // A session past its absolute end goes with its tokens; a live one stays.
      const endedSession = await db
        .insertInto('sessions')
        .values({ user_id: bob.id, created_at: now - 40 * 86_400_000, last_activity: now - 9 * 86_400_000, expires_at: now - 1000 })
        .returning('id')
        .executeTakeFirstOrThrow()
      const endedToken = { ...row(now + 3_600_000), session_id: endedSession.id }
      await db.insertInto('refresh_tokens').values(endedToken).execute()

      // KEYTURN_AUDIT_RETENTION is 90 days by default.
      const auditRow = (ageDays: number) => ({ created_at: now - ageDays * 86_400_000, event: 'login', outcome: 'success', user_id: bob.id })
      const oldAudit = await db.insertInto('audit_events').values(auditRow(91)).returning('id').executeTakeFirstOrThrow()
      const recentAudit = await db.insertInto('audit_events').values(auditRow(89)).returning('id').executeTakeFirstOrThrow()

      const r = await keyturn(['flushexpiredtokens'])
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /^deleted 1 expired session\(s\)/m)
      t.notOk(await db.selectFrom('sessions').select('id').where('id', '=', endedSession.id).executeTakeFirst(), 'the ended session is gone')
      t.ok(await db.selectFrom('sessions').select('id').where('id', '=', session.id).executeTakeFirst(), 'the live session stays')
      t.notOk(await db.selectFrom('refresh_tokens').select('jti').where('jti', '=', endedToken.jti).executeTakeFirst(), 'with its tokens')
      t.match(r.stdout, /^deleted .*\b3 expired refresh token\(s\)/m)
      t.match(r.stdout, /\b1 old revocation entry\b/)

      const left = (await db.selectFrom('refresh_tokens').select('jti').execute()).map((r) => r.jti).sort()
      t.same(left, [...keptBefore].sort(), 'every unexpired token is kept')
      for (const e of expired) t.notOk(left.includes(e.jti), 'expired token deleted')
      for (const a of alive) t.ok(left.includes(a.jti), 'live token kept')
      t.ok(left.length >= alive.length + 2, 'the tokens of real logins are kept too')
      const revocationIds = (await db.selectFrom('revocations').select('id').execute()).map((r) => r.id)
      t.notOk(revocationIds.includes(oldRevocation.id), 'old revocation deleted')
      t.ok(revocationIds.includes(recentRevocation.id), 'recent revocation kept')
      t.match(r.stdout, /\b1 old audit event\(s\)/)
      const auditIds = (await db.selectFrom('audit_events').select('id').execute()).map((a) => a.id)
      t.notOk(auditIds.includes(oldAudit.id), 'audit event past the retention deleted')
      t.ok(auditIds.includes(recentAudit.id), 'audit event within the retention kept')
    })

    await t.test('seed-users creates N users that log in, and refuses to run twice on one prefix', async (t) => {
      const r = await keyturn(['seed-users', '--count', '25', '--prefix', 'seed', '--password-stdin'], 'load pw\n')
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /created 25 users \(seed1 \.\. seed25\)/)
      const rows = await db.selectFrom('users').select(['username', 'password_hash']).where('username', 'like', 'seed%').execute()
      t.equal(rows.length, 25)
      t.equal(new Set(rows.map((u) => u.password_hash)).size, 25, 'each user has its own salt')
      if (!app) throw new Error('no app')
      t.equal((await post(app, '/api/token/', { username: 'seed25', password: 'load pw' })).statusCode, 200)
      const again = await keyturn(['seed-users', '--count', '3', '--prefix', 'seed', '--password-stdin'], 'x\n')
      refused(t, again, /already exists; choose another --prefix/, 'seed-users on a used prefix')
      refused(t, await keyturn(['seed-users', '--count', 'many', '--password-stdin'], 'x\n'), /--count N/, 'a bad count')
      refused(t, await keyturn(['seed-users', '--count', '2', '--sessions', '-1', '--password-stdin'], 'x\n'), /--sessions N/, 'a bad session count')
    })

    await t.test('seed-users --sessions --shared-hash: one hash for all, sessions spread over the users', async (t) => {
      const r = await keyturn(['seed-users', '--count', '40', '--sessions', '100', '--shared-hash', '--prefix', 'bulk', '--password-stdin'], 'bulk pw\n')
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /created 40 users \(bulk1 \.\. bulk40\) and 100 sessions/)
      const users = await db.selectFrom('users').select(['id', 'password_hash']).where('username', 'like', 'bulk%').execute()
      t.equal(new Set(users.map((u) => u.password_hash)).size, 1, 'one shared hash')
      const sessions = await db.selectFrom('sessions').select(['user_id', 'device_name', 'ip_address', 'client_type']).where('user_id', 'in', users.map((u) => u.id)).execute()
      t.equal(sessions.length, 100)
      const perUser = new Map<number, number>()
      for (const s of sessions) perUser.set(s.user_id, (perUser.get(s.user_id) ?? 0) + 1)
      t.same([...new Set(perUser.values())].sort(), [2, 3], 'spread evenly: 2 or 3 each')
      t.ok(sessions.every((s) => s.device_name && s.ip_address && s.client_type))
      if (!app) throw new Error('no app')
      t.equal((await post(app, '/api/token/', { username: 'bulk40', password: 'bulk pw' })).statusCode, 200, 'the shared hash checks')
    })

    await t.test('updateuser --inactive ends every session; --active restores login', async (t) => {
      if (!app) throw new Error('no app')
      const pair = (await post(app, '/api/token/', { username: 'seed1', password: 'load pw' })).json<{ refresh: string; access: string }>()
      const r = await keyturn(['updateuser', '--username', 'seed1', '--inactive'])
      t.equal(r.code, 0, r.stderr)
      t.match(r.stdout, /updated "seed1" \(inactive\); ended 1 session\(s\)/)
      const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
      t.equal(refreshed.statusCode, 401)
      t.same(refreshed.json(), { detail: 'No active account found for the given token.' }, "the refresh hears of the user, not of its token")
      await app.revocations.sync(Date.now())
      const me = await app.inject({ url: '/api/user/', headers: bearer(pair.access) })
      t.same(me.json(), { detail: 'User is inactive', code: 'user_inactive' }, 'the access token: user_inactive')
      t.equal((await post(app, '/api/token/', { username: 'seed1', password: 'load pw' })).statusCode, 401)
      t.equal((await keyturn(['updateuser', '--username', 'seed1', '--active'])).code, 0)
      t.equal((await post(app, '/api/token/', { username: 'seed1', password: 'load pw' })).statusCode, 200)
      refused(t, await keyturn(['updateuser', '--username', 'seed1', '--active', '--inactive']), /contradict/, 'contradictory flags')
      refused(t, await keyturn(['updateuser', '--username', 'nobody', '--active']), /no user named "nobody"/, 'unknown user')
    })
  })
}
