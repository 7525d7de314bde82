// A user deactivated (keyturn updateuser --inactive, or the accounts service) loses every
// session, but clients hear the code they react to: user_inactive on Bearer routes, and
// "No active account found for the given token." on refresh; not "Token is blacklisted".
import t from 'tap'
import { bearer, build, createUser, expect401, login, post, stores } from '../../helper.js'

const USER_INACTIVE = { detail: 'User is inactive', code: 'user_inactive' }
const NO_ACCOUNT = { detail: 'No active account found for the given token.' }
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' }

for (const store of stores()) {
  t.test(`a deactivated user's tokens answer with the user's state (${store})`, async (t) => {
    const app = await build(t, { store })
    // A second instance: it learns of the deactivation from the store only.
    const other = await build(t, { url: app.config.KEYTURN_DATABASE_URL, env: { KEYTURN_REVOCATION_POLL_MS: '100' } })
    await createUser(app, { username: 'ivan' })
    const phone = await login(app, 'ivan')
    const laptop = await login(app, 'ivan')
    for (const instance of [app, other]) t.equal((await instance.inject({ url: '/api/user/', headers: bearer(phone.access) })).statusCode, 200)

    const { endedSessions } = await app.accounts.update('ivan', { isActive: false })
    t.equal(endedSessions, 2, 'every session ends')
    await other.revocations.sync(Date.now())
    for (const instance of [app, other]) {
      for (const url of ['/api/user/', '/api/v1/auth/sessions/', '/api/protected-endpoint/']) {
        expect401(t, await instance.inject({ url, headers: bearer(phone.access) }), USER_INACTIVE, `${url} (Bearer)`)
      }
      expect401(t, await post(instance, '/api/token/refresh/', { refresh: laptop.refresh }), NO_ACCOUNT, 'refresh')
    }
    const sessions = await app.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).execute()
    t.ok(sessions.every((s) => s.revoked_at !== null && s.revoked_reason === 'account_disabled'), 'ended in the store')

    // Active again: the account is back, the ended sessions stay ended.
    await app.accounts.update('ivan', { isActive: true })
    expect401(t, await post(app, '/api/token/refresh/', { refresh: laptop.refresh }), BLACKLISTED, 'the old session stays ended')
    const bearerRefused = await app.inject({ url: '/api/user/', headers: bearer(phone.access) })
    t.equal(bearerRefused.statusCode, 401)
    t.match(bearerRefused.json(), { messages: [{ message: 'Token is blacklisted' }] })
    t.equal((await login(app, 'ivan')).user_id, phone.user_id, 'a new login works')
  })
}
