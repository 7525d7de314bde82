import t from 'tap'
import { PasswordHasher } from '../../plugins/passwords/password-hasher.js'
import { openScaleStore, seedExpiredSessions, seedRevocations, seedScaleStore, seededJti } from '../../bench/scale-seed.js'
import { minter, spread } from '../../bench/scale-tokens.js'
import { bearer, build, login, post, stores, TEST_SIGNING_KEY } from '../helper.js'

const USERS = 30

for (const store of stores()) {
  t.test(`${store}: the scale bench's SQL seed is a store Keyturn serves, and its minted tokens are Keyturn's own`, async (t) => {
    const app = await build(t, { store })
    const seed = await openScaleStore(app.config.KEYTURN_DATABASE_URL)
    t.teardown(() => seed.close())
    const hasher = new PasswordHasher({ memoryCost: app.config.KEYTURN_ARGON2_MEMORY_KIB, timeCost: app.config.KEYTURN_ARGON2_TIME_COST, parallelism: 1 })
    const now = Date.now()
    await seedScaleStore(seed, USERS, await hasher.hash('load-test-password'), now)

    t.equal(await seed.value('SELECT count(*) FROM users'), USERS)
    t.equal(await seed.value('SELECT count(*) FROM sessions'), 2 * USERS)
    t.equal(await seed.value('SELECT count(*) FROM refresh_tokens'), 5 * USERS)
    t.equal(await seed.value('SELECT count(*) FROM refresh_tokens WHERE rotated_at IS NULL'), 2 * USERS, 'one live token a session')
    t.equal(await seed.value(`SELECT session_id FROM refresh_tokens WHERE jti = '${seededJti(13, 2)}' AND rotated_at IS NULL`), 13)
    t.equal(await seed.value("SELECT count(*) FROM revocations WHERE kind = 'user'"), 0, 'the seed leaves no entry for instances to forget')

    // The shared password logs in, and a new session takes an id past the seeded ones.
    const pair = await login(app, 'load7', 'load-test-password')
    t.equal(pair.user_id, 7)
    t.ok(pair.session_id > 2 * USERS)

    const mint = minter(TEST_SIGNING_KEY, now)
    const access = mint.access(13)
    t.equal(access.split('.')[0], pair.access.split('.')[0], "a minted token has the header Keyturn's signer writes")
    const me = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(access) })
    t.equal(me.statusCode, 200)
    t.equal(me.json<{ username: string }>().username, 'load7', 'session 13 is user 7')
    for (const sid of [13, 14]) {
      const res = await post(app, '/api/token/refresh/', { refresh: mint.refresh(sid) })
      t.equal(res.statusCode, 200, `session ${sid}'s live token refreshes`)
    }
    t.same(spread(3, 30), [1, 11, 21])
    t.same(spread(40, 30).length, 30)

    await seedExpiredSessions(seed, USERS, 10, now)
    t.equal(await seed.value(`SELECT count(*) FROM sessions WHERE expires_at < ${now}`), 10)
    t.equal(await seed.value(`SELECT count(*) FROM refresh_tokens WHERE expires_at < ${now}`), 10)
    t.equal((await login(app, 'load30', 'load-test-password')).user_id, 30, 'logins still find a free session id')

    await seedRevocations(seed, 100, 60_000, now)
    t.equal(await seed.value(`SELECT count(*) FROM revocations WHERE kind = 'session' AND created_at > ${now - 60_000} AND created_at <= ${now}`), 100)
  })
}
