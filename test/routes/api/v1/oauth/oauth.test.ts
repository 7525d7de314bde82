// The service accounts' OAuth endpoints, as a machine client calls them: client credentials
// (catalogue 29), introspection (catalogue 30) and revocation, over app.inject on both stores.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { bearer, build, claimsOf, createUser, login, post, stores, type StoreName } from '../../../../helper.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

interface Service {
  id: number
  client_id: string
  client_secret: string
}

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` })

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

function oauthPost(app: FastifyInstance, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/oauth/${path}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(fields),
  })
}

async function staffToken(app: FastifyInstance, username: string, clientName?: string): Promise<string> {
  await createUser(app, { username, ...(clientName ? { clientName, isStaff: true } : { isSuperuser: true, isStaff: true }) })
  return (await login(app, username)).access
}

async function createService(app: FastifyInstance, token: string, body: Record<string, unknown>): Promise<Service> {
  const res = await post(app, '/api/v1/admin/services/', body, bearer(token))
  if (res.statusCode !== 201) throw new Error(`service not created: ${res.statusCode} ${res.body}`)
  return res.json<Service>()
}

async function setup(t: Tap, store: StoreName, env: Record<string, string> = {}) {
  const app = await build(t, { store, env })
  await app.accounts.addClient('acme')
  await app.accounts.addClient('globex')
  const root = await staffToken(app, 'root')
  const acmeStaff = await staffToken(app, 'acme_staff', 'acme')
  const billing = await createService(app, acmeStaff, { name: 'billing', scopes: ['invoices:read', 'invoices:write'] })
  return { app, root, acmeStaff, billing }
}

for (const store of stores()) {
  t.test(`client credentials: a token for a service, and the RFC errors (catalogue 29, ${store})`, async (t) => {
    const { app, acmeStaff, billing } = await setup(t, store)
    const ok = await oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, billing.client_secret))
    t.equal(ok.statusCode, 200, ok.body)
    t.equal(ok.headers['cache-control'], 'no-store')
    const grant = ok.json<{ access_token: string; token_type: string; expires_in: number; scope: string }>()
    t.match(grant, { token_type: 'Bearer', expires_in: 900, scope: 'invoices:read invoices:write' })
    const claims = claimsOf(grant.access_token)
    t.match(claims, { token_type: 'access', sub: billing.client_id, scope: 'invoices:read invoices:write', jti: String })
    t.equal(typeof claims.client_id, 'number', 'its tenant')
    t.notOk('user_id' in claims || 'sid' in claims, 'no user, no session')

    // In the body, as JSON, with a narrower scope.
    const json = await post(app, '/api/v1/oauth/token/', { grant_type: 'client_credentials', client_id: billing.client_id, client_secret: billing.client_secret, scope: 'invoices:read' })
    t.equal(json.statusCode, 200, json.body)
    t.equal(json.json<{ scope: string }>().scope, 'invoices:read')

    // Refused on user routes with the contract's message.
    const me = await app.inject({ url: '/api/user/', headers: bearer(grant.access_token) })
    t.equal(me.statusCode, 401)
    t.same(me.json(), {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token contained no recognizable user identification' }],
    })
    t.equal((await app.inject({ url: '/api/v1/auth/sessions/', headers: bearer(grant.access_token) })).statusCode, 401)

    const refusals: Array<[string, Record<string, string>, Record<string, string>, number, string]> = [
      ['wrong secret', { grant_type: 'client_credentials' }, basic(billing.client_id, 'not-the-secret'), 401, 'invalid_client'],
      ['unknown client', { grant_type: 'client_credentials' }, basic('svc_nobody', billing.client_secret), 401, 'invalid_client'],
      ['no credentials', { grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      ['excess scope', { grant_type: 'client_credentials', scope: 'invoices:read admin' }, basic(billing.client_id, billing.client_secret), 400, 'invalid_scope'],
      ['no grant_type', {}, basic(billing.client_id, billing.client_secret), 400, 'invalid_request'],
      ['password grant', { grant_type: 'password' }, basic(billing.client_id, billing.client_secret), 400, 'unsupported_grant_type'],
      ['both methods', { grant_type: 'client_credentials', client_id: billing.client_id, client_secret: billing.client_secret }, basic(billing.client_id, billing.client_secret), 400, 'invalid_request'],
    ]
    for (const [what, fields, headers, status, error] of refusals) {
      const res = await oauthPost(app, 'token', fields, headers)
      t.equal(res.statusCode, status, `${what}: ${res.body}`)
      t.equal(res.json<{ error: string }>().error, error, what)
      t.notOk(res.body.includes('access_token'), `${what}: no token`)
      if (status === 401) t.equal(res.headers['www-authenticate'], 'Basic realm="keyturn"', what)
    }

    // Disabled: refused; enabled again: served.
    const disable = await app.inject({ method: 'PATCH', url: `/api/v1/admin/services/${billing.id}/`, headers: bearer(acmeStaff), payload: { is_active: false } })
    t.equal(disable.statusCode, 200, disable.body)
    t.equal((await oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, billing.client_secret))).statusCode, 401, 'a disabled account gets no token')
    const intro = await oauthPost(app, 'introspect', { token: grant.access_token }, basic(billing.client_id, billing.client_secret))
    t.equal(intro.statusCode, 401, 'nor introspects')

    const audit = await app.db.selectFrom('audit_events').select(['event', 'outcome', 'detail']).where('event', '=', 'service_token').execute()
    t.ok(audit.some((r) => r.outcome === 'success' && r.detail === billing.client_id), 'issued tokens are audited')
    t.ok(audit.some((r) => r.outcome === 'failure'), 'refused clients too')
    t.notOk(JSON.stringify(audit).includes(billing.client_secret), 'never the secret')
  })

  t.test(`service secrets: hashed, rotated with an overlap, then refused (catalogue 29, ${store})`, async (t) => {
    const { app, acmeStaff, billing } = await setup(t, store)
    const row = await app.db.selectFrom('service_accounts').selectAll().where('id', '=', billing.id).executeTakeFirstOrThrow()
    t.notOk(JSON.stringify(row).includes(billing.client_secret), 'the store keeps no secret')
    t.match(row.secret_hash, /^[0-9a-f]{64}$/)

    const rotate = (overlap: number) =>
      post(app, `/api/v1/admin/services/${billing.id}/rotate_secret/`, { overlap_seconds: overlap }, bearer(acmeStaff))
    const first = await rotate(1)
    t.equal(first.statusCode, 200, first.body)
    const next = first.json<Service>().client_secret
    t.not(next, billing.client_secret)
    const grant = (secret: string) => oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, secret))
    t.equal((await grant(next)).statusCode, 200, 'the new secret works')
    t.equal((await grant(billing.client_secret)).statusCode, 200, 'the old one too, within the overlap')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    t.equal((await grant(billing.client_secret)).statusCode, 401, 'past the overlap, the old one is refused')
    t.equal((await grant(next)).statusCode, 200)
  })

  t.test(`a service disabled or rotated on one instance is refused on another within a second (catalogue 29, ${store})`, async (t) => {
    const { app, acmeStaff, billing } = await setup(t, store)
    const other = await build(t, { url: app.config.KEYTURN_DATABASE_URL })
    const grant = (on: FastifyInstance, secret = billing.client_secret) =>
      oauthPost(on, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, secret))
    const refusedOnOther = async (secret?: string) => {
      const start = Date.now()
      while (Date.now() - start < 2000) {
        if ((await grant(other, secret)).statusCode === 401) return Date.now() - start
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return Infinity
    }
    // The other instance has authenticated these credentials before (and keeps them).
    t.equal((await grant(other)).statusCode, 200)
    t.equal((await grant(other)).statusCode, 200)

    const rotated = await post(app, `/api/v1/admin/services/${billing.id}/rotate_secret/`, { overlap_seconds: 0 }, bearer(acmeStaff))
    const next = rotated.json<Service>().client_secret
    const afterRotation = await refusedOnOther()
    t.ok(afterRotation < 1000, `the rotated-out secret is refused on the other instance in ${afterRotation} ms`)
    t.equal((await grant(other, next)).statusCode, 200)

    await app.inject({ method: 'PATCH', url: `/api/v1/admin/services/${billing.id}/`, headers: bearer(acmeStaff), payload: { is_active: false } })
    const afterDisable = await refusedOnOther(next)
    t.ok(afterDisable < 1000, `the disabled account is refused on the other instance in ${afterDisable} ms`)
  })

  t.test(`guesses at one client_id are throttled (catalogue 29, ${store})`, async (t) => {
    const { app, billing } = await setup(t, store, { KEYTURN_LOGIN_FREE_FAILURES: '3' })
    const guess = (secret: string) => oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, secret))
    // As for logins: the attempt that goes past the free failures is let through, and counted.
    for (let i = 0; i < 4; i++) t.equal((await guess(`guess-${i}`)).statusCode, 401)
    const throttled = await guess(billing.client_secret)
    t.equal(throttled.statusCode, 429, 'even the right secret waits')
    t.equal(throttled.json<{ error: string }>().error, 'invalid_client')
    t.ok(Number(throttled.headers['retry-after']) >= 1)
  })

  t.test(`introspection: revocation-aware across instances, never another tenant's (catalogue 30, ${store})`, async (t) => {
    const { app, root, acmeStaff, billing } = await setup(t, store)
    const other = await build(t, { url: app.config.KEYTURN_DATABASE_URL })
    const globexStaff = await staffToken(app, 'globex_staff', 'globex')
    const spy = await createService(app, globexStaff, { name: 'spy' })
    const global = await createService(app, root, { name: 'gateway' })
    await createUser(app, { username: 'alice', clientName: 'acme' })
    const alice = await login(app, 'alice')
    const introspect = (svc: Service, token: string) => oauthPost(app, 'introspect', { token }, basic(svc.client_id, svc.client_secret))

    const seen = await introspect(billing, alice.access)
    t.equal(seen.statusCode, 200)
    t.equal(seen.headers['cache-control'], 'no-store')
    t.match(seen.json(), { active: true, token_type: 'access', sub: String(alice.user_id), user_id: alice.user_id, username: 'alice', sid: alice.session_id, jti: String, exp: Number, iat: Number })
    t.match((await introspect(global, alice.refresh)).json(), { active: true, token_type: 'refresh' }, 'a global service sees every tenant')
    t.same((await introspect(spy, alice.access)).json(), { active: false }, "another tenant's service learns nothing")
    t.same((await introspect(spy, alice.refresh)).json(), { active: false })

    // A service token, described with its scope.
    const svcToken = (await oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, billing.client_secret))).json<{ access_token: string }>().access_token
    t.match((await introspect(billing, svcToken)).json(), { active: true, token_type: 'access', sub: billing.client_id, scope: 'invoices:read invoices:write' })
    t.same((await introspect(spy, svcToken)).json(), { active: false })

    for (const junk of ['not-a-jwt', `${alice.access.slice(0, -4)}AAAA`, 'a'.repeat(5000)]) {
      t.same((await introspect(billing, junk)).json(), { active: false }, 'forged or malformed: inactive')
    }
    const missing = await oauthPost(app, 'introspect', {}, basic(billing.client_id, billing.client_secret))
    t.equal(missing.statusCode, 400)
    t.equal(missing.json<{ error: string }>().error, 'invalid_request')

    // A logout on the other instance: inactive here within a second.
    const logout = await post(other, '/api/logout/', { refresh: alice.refresh }, bearer(alice.access))
    t.equal(logout.statusCode, 200, logout.body)
    const start = Date.now()
    let inactiveAfter = Infinity
    while (Date.now() - start < 2000) {
      if ((await introspect(billing, alice.access)).json<{ active: boolean }>().active === false) {
        inactiveAfter = Date.now() - start
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    t.ok(inactiveAfter < 1000, `inactive ${inactiveAfter} ms after a logout on another instance`)
    t.same((await introspect(billing, alice.refresh)).json(), { active: false })
    void acmeStaff
  })

  t.test(`revocation: a service ends its tenant's sessions, not another's (${store})`, async (t) => {
    const { app, billing } = await setup(t, store)
    const globexStaff = await staffToken(app, 'globex_staff', 'globex')
    const spy = await createService(app, globexStaff, { name: 'spy' })
    await createUser(app, { username: 'bob', clientName: 'acme' })
    const bob = await login(app, 'bob')
    const revoke = (svc: Service, token: string) => oauthPost(app, 'revoke', { token, token_type_hint: 'refresh_token' }, basic(svc.client_id, svc.client_secret))

    const foreign = await revoke(spy, bob.refresh)
    t.equal(foreign.statusCode, 200)
    t.equal((await app.inject({ url: '/api/user/', headers: bearer(bob.access) })).statusCode, 200, "another tenant's service ended nothing")

    const unknown = await revoke(billing, 'not-a-token')
    t.equal(unknown.statusCode, 200, 'an unknown token: 200')
    t.equal(unknown.body, '')

    const done = await revoke(billing, bob.refresh)
    t.equal(done.statusCode, 200)
    t.equal(done.body, '', 'an empty body')
    t.equal((await app.inject({ url: '/api/user/', headers: bearer(bob.access) })).statusCode, 401, 'the session is over')
    t.equal((await post(app, '/api/token/refresh/', { refresh: bob.refresh })).statusCode, 401)
    const audit = await app.db.selectFrom('audit_events').select(['event', 'detail', 'session_id']).where('event', '=', 'token_revoked').execute()
    t.same(audit, [{ event: 'token_revoked', detail: billing.client_id, session_id: bob.session_id }], 'audited, naming the service')
  })

  t.test(`admin API: staff manage their own client's services, superusers any (${store})`, async (t) => {
    const { app, root, acmeStaff, billing } = await setup(t, store)
    const globexStaff = await staffToken(app, 'globex_staff', 'globex')
    const globex = await app.db.selectFrom('clients').select('id').where('name', '=', 'globex').executeTakeFirstOrThrow()
    const acme = await app.db.selectFrom('clients').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()

    t.equal((await post(app, '/api/v1/admin/services/', { name: 'x', tenant_id: globex.id }, bearer(acmeStaff))).statusCode, 403, "staff cannot create for another client")
    const forGlobex = await createService(app, root, { name: 'reports', tenant_id: globex.id, scopes: ['r'] })
    t.match(forGlobex, { client_id: /^svc_/, client_secret: String, tenant_id: globex.id, scopes: ['r'], is_active: true })

    const acmeList = (await app.inject({ url: '/api/v1/admin/services/', headers: bearer(acmeStaff) })).json<{ count: number; results: Array<{ id: number; tenant_id: number }> }>()
    t.same(acmeList.results.map((r) => r.id), [billing.id], 'staff see their own client only')
    t.notOk(JSON.stringify(acmeList).includes('client_secret'), 'no secret in a listing')
    t.equal((await app.inject({ url: `/api/v1/admin/services/${forGlobex.id}/`, headers: bearer(acmeStaff) })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/admin/services/${forGlobex.id}/`, headers: bearer(acmeStaff) })).statusCode, 404)
    t.equal((await app.inject({ url: `/api/v1/admin/services/${forGlobex.id}/`, headers: bearer(globexStaff) })).statusCode, 200)
    t.equal((await app.inject({ url: '/api/v1/admin/services/', headers: bearer(root) })).json<{ count: number }>().count, 2, 'a superuser sees every one')
    t.equal((await app.inject({ url: `/api/v1/admin/services/abc/`, headers: bearer(root) })).statusCode, 404)

    const bad = await post(app, '/api/v1/admin/services/', { name: 'y', scopes: ['has space'] }, bearer(acmeStaff))
    t.equal(bad.statusCode, 400, bad.body)
    const renamed = await app.inject({ method: 'PATCH', url: `/api/v1/admin/services/${billing.id}/`, headers: bearer(acmeStaff), payload: { name: 'billing-2', scopes: ['invoices:read'] } })
    t.match(renamed.json(), { name: 'billing-2', scopes: ['invoices:read'], tenant_id: acme.id })
    const gone = await app.inject({ method: 'DELETE', url: `/api/v1/admin/services/${billing.id}/`, headers: bearer(acmeStaff) })
    t.equal(gone.statusCode, 204)
    t.equal((await oauthPost(app, 'token', { grant_type: 'client_credentials' }, basic(billing.client_id, billing.client_secret))).statusCode, 401, 'a deleted service gets nothing')
    const user = await createUser(app, { username: 'plain' })
    const plain = (await login(app, user.username)).access
    t.equal((await app.inject({ url: '/api/v1/admin/services/', headers: bearer(plain) })).statusCode, 403, 'not for non-staff')
  })
}
