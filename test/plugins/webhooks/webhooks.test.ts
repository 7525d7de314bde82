// Webhooks end to end, on both stores, with a real receiver on loopback: every event type
// arrives signed (checked with Standard Webhooks' own verifier), with the suspicious-activity
// markers; the delivery log shows each attempt; tenants' endpoints see their own events; a
// rolled-back change sends nothing; a private address is refused unless allowed.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { bearer, build, createUser, login, PASSWORD, post, stores } from '../../helper.js'
import { isPostgres } from '../../../plugins/infra/store/database.js'
import { WEBHOOK_EVENT_TYPES } from '../../../plugins/webhooks/event-types.js'
import { outboxSettled, Receiver, verifySignature } from './receiver.js'
import { deleteFinishedEventsBefore } from '../../../plugins/webhooks/deliveries-store.js'
import { insertEndpoint } from '../../../plugins/webhooks/endpoints-store.js'
import { insertEvent, newEventId } from '../../../plugins/webhooks/outbox.js'
import { newWebhookSecret } from '../../../plugins/webhooks/signature.js'
import { recordRevocation } from '../../../plugins/revocation/revocation-log.js'

async function drainEvents(app: FastifyInstance, before: number): Promise<number> {
  let total = 0
  for (let n = -1; n !== 0; total += n) n = await deleteFinishedEventsBefore(app.db, before, 1000)
  return total
}

const ENV = {
  KEYTURN_WEBHOOK_ALLOW_PRIVATE: 'true',
  KEYTURN_WEBHOOK_POLL_MS: '100',
  KEYTURN_WEBHOOK_RETRY_BASE: '100ms',
  KEYTURN_ROTATION_GRACE_SECONDS: '0',
  KEYTURN_LOGIN_FREE_FAILURES: '2',
}

async function listening(app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 })
}

async function superuserToken(app: FastifyInstance): Promise<string> {
  const admin = await createUser(app, { isStaff: true, isSuperuser: true })
  return (await login(app, admin.username)).access
}

async function addEndpoint(app: FastifyInstance, token: string, payload: object) {
  return app.inject({ method: 'POST', url: '/api/v1/admin/webhooks/', headers: bearer(token), payload })
}

for (const store of stores()) {
  t.test(`catalogue 31: ${store}: every event type arrives, signed, with its data`, async (t) => {
    const app = await build(t, { store, env: ENV })
    await listening(app)
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    const token = await superuserToken(app)
    const created = await addEndpoint(app, token, { url: receiver.url, events: [...WEBHOOK_EVENT_TYPES], description: 'everything' })
    t.equal(created.statusCode, 201)
    const endpoint = created.json<{ id: number; secret: string; events: string[]; is_active: boolean }>()
    t.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    t.equal(endpoint.is_active, true)
    t.equal(created.headers['cache-control'], 'no-store')

    const user = await createUser(app, { username: 'alice' })
    const first = await login(app, 'alice', PASSWORD, { device_name: 'Pixel' })
    await login(app, 'alice')
    const rotated = await post(app, '/api/token/refresh/', { refresh: first.refresh })
    t.equal(rotated.statusCode, 200)
    t.equal((await post(app, '/api/token/refresh/', { refresh: first.refresh })).statusCode, 401, 'reuse')
    const other = await login(app, 'alice')
    t.equal((await post(app, '/api/token/blacklist/', { refresh: other.refresh })).statusCode, 200)
    // Two wrong passwords are free; the third puts the account into backoff.
    for (let i = 0; i < 3; i++) t.equal((await post(app, '/api/token/', { username: 'alice', password: 'wrong' })).statusCode, 401)
    await post(app, '/api/token/', { username: 'nobody', password: 'wrong' })
    await app.accounts.changePassword('alice', 'a new password')
    await app.accounts.update('alice', { isActive: false })

    const wanted = ['user.created', 'session.created', 'login.failed', 'session.reuse_detected', 'session.revoked', 'password.changed', 'user.updated', 'user.deactivated']
    const all = await receiver.until((got) => wanted.every((type) => got.some((d) => d.event.type === type)) && got.filter((d) => d.event.type === 'session.revoked').length >= 3, 10_000, 'every type')
    // Anything still on its way arrives before the counts below (the array is the receiver's own).
    await new Promise((resolve) => setTimeout(resolve, 100))
    await outboxSettled(app.db)
    for (const delivery of all) t.doesNotThrow(() => verifySignature(delivery, endpoint.secret), `${delivery.event.type} verifies`)
    t.throws(() => verifySignature(all[0]!, 'whsec_' + Buffer.alloc(32, 1).toString('base64')), 'a wrong secret does not')
    for (const delivery of all) {
      t.equal(delivery.headers['webhook-id'], delivery.event.id)
      t.match(delivery.event.id, /^evt_[0-9a-f]{32}$/)
      // No password (right or wrong), hash or token (a JWT starts eyJ).
      for (const secret of [PASSWORD, 'a new password', '"wrong"', '$argon2', 'eyJ']) t.notOk(delivery.body.includes(secret), `${delivery.event.type}: no secret in the body`)
    }

    const sessions = receiver.ofType('session.created').map((d) => d.event.data)
    t.equal(sessions.length, 3)
    t.match(sessions[0], { user_id: user.id, username: 'alice', client_id: null, session_id: first.session_id, device_name: 'Pixel', ip_address: '127.0.0.1', new_device: true })
    t.same(sessions.slice(1).map((s) => s['new_device']), [false, false], 'the same address and agent again: not a new device')
    const failed = receiver.ofType('login.failed').map((d) => d.event.data)
    t.equal(failed.length, 3, 'a known account only: the unknown name sent nothing')
    t.same(failed.map((f) => f['backoff']), [false, false, true], 'the failure that starts the backoff is marked')
    t.match(failed[0], { user_id: user.id, username: 'alice', reason: 'invalid_credentials', ip_address: '127.0.0.1' })
    t.match(receiver.ofType('session.reuse_detected')[0]?.event.data, { session_id: first.session_id, presented_from: { ip_address: '127.0.0.1' } })
    const reasons = receiver.ofType('session.revoked').map((d) => [d.event.data['session_id'], d.event.data['reason']])
    t.same(reasons.slice(0, 2), [[first.session_id, 'reuse'], [other.session_id, 'logout']])
    t.ok(reasons.slice(2).every(([, reason]) => reason === 'password_change'), 'the password change ended the rest')
    t.match(receiver.ofType('password.changed')[0]?.event.data, { user_id: user.id, ended_sessions: 1 })
    t.match(receiver.ofType('user.updated')[0]?.event.data, { user_id: user.id, changes: ['is_active'] })

    const log = await app.inject({ url: `/api/v1/admin/webhooks/${endpoint.id}/deliveries/`, headers: bearer(token) })
    t.equal(log.statusCode, 200)
    const attempts = log.json<{ count: number; results: Array<{ status_code: number; error: null; delivery_state: string; next_retry_at: null; event_type: string }> }>()
    t.equal(attempts.count, all.length, 'one attempt per delivery')
    t.match(attempts.results[0], { status_code: 204, error: null, delivery_state: 'delivered', next_retry_at: null })
  })

  t.test(`${store}: retries, the delivery log, the test event and a rotated secret`, async (t) => {
    const app = await build(t, { store, env: ENV })
    await listening(app)
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    const token = await superuserToken(app)
    const { id, secret } = (await addEndpoint(app, token, { url: receiver.url, events: ['session.created'] })).json<{ id: number; secret: string }>()

    receiver.status = 503
    await login(app, (await createUser(app)).username)
    const entries = async () => (await app.inject({ url: `/api/v1/admin/webhooks/${id}/deliveries/`, headers: bearer(token) })).json<{ results: Array<{ status_code: number | null; error: string | null; next_retry_at: string | null; delivery_state: string }> }>().results
    const deadline = Date.now() + 5000
    while ((await entries()).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    const failures = await entries()
    t.ok(failures.length >= 2, 'retried')
    t.match(failures[0], { status_code: 503, error: 'HTTP 503', delivery_state: 'pending' })
    t.ok(failures[0]?.next_retry_at !== null, 'the next retry is shown')
    const view = (await app.inject({ url: `/api/v1/admin/webhooks/${id}/`, headers: bearer(token) })).json<{ failing_since: string | null }>()
    t.ok(view.failing_since !== null, 'the endpoint shows since when it fails')
    receiver.status = 200
    await receiver.until((got) => got.length === 1, 5000, 'delivered once the receiver answers')
    // The answer is recorded once it is in.
    const failingSince = async () => (await app.inject({ url: `/api/v1/admin/webhooks/${id}/`, headers: bearer(token) })).json<{ failing_since: string | null }>().failing_since
    for (let i = 0; i < 250 && (await failingSince()) !== null; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(await failingSince(), null, 'an answer ends the run of failures')

    const rotated = await post(app, `/api/v1/admin/webhooks/${id}/rotate_secret/`, {}, bearer(token))
    t.equal(rotated.statusCode, 200)
    const fresh = rotated.json<{ secret: string }>().secret
    t.not(fresh, secret)
    const test = await post(app, `/api/v1/admin/webhooks/${id}/test/`, undefined, bearer(token))
    t.equal(test.statusCode, 202)
    const [, probe] = await receiver.until((got) => got.length === 2, 5000, 'the test event')
    t.equal(probe!.event.type, 'webhook.test')
    t.equal(probe!.event.id, test.json<{ event_id: string }>().event_id)
    t.doesNotThrow(() => verifySignature(probe!, fresh), 'signed with the new secret')
    t.doesNotThrow(() => verifySignature(probe!, secret), 'and with the old one while they overlap')

    const off = await app.inject({ method: 'PATCH', url: `/api/v1/admin/webhooks/${id}/`, headers: bearer(token), payload: { is_active: false } })
    t.equal(off.json<{ is_active: boolean }>().is_active, false)
    await login(app, (await createUser(app)).username)
    await new Promise((resolve) => setTimeout(resolve, 400))
    t.equal(receiver.deliveries.length, 2, 'a disabled endpoint receives nothing')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/admin/webhooks/${id}/`, headers: bearer(token) })).statusCode, 204)
    t.equal((await app.inject({ url: `/api/v1/admin/webhooks/${id}/`, headers: bearer(token) })).statusCode, 404)
    t.equal((await app.inject({ url: '/api/v1/admin/webhooks/abc/', headers: bearer(token) })).statusCode, 404)
  })

  t.test(`${store}: staff receive their own client's events only`, async (t) => {
    const app = await build(t, { store, env: ENV })
    await listening(app)
    const mine = await new Receiver().open()
    const everyone = await new Receiver().open()
    t.teardown(() => Promise.all([mine.close(), everyone.close()]))
    await app.accounts.addClient('Acme')
    await app.accounts.addClient('Other')
    const staff = await createUser(app, { isStaff: true, clientName: 'Acme' })
    const staffToken = (await login(app, staff.username)).access
    const superToken = await superuserToken(app)
    t.equal((await addEndpoint(app, staffToken, { url: mine.url, events: ['session.created'], client_id: 999 })).statusCode, 403, 'not another client')
    const own = await addEndpoint(app, staffToken, { url: mine.url, events: ['session.created'] })
    t.equal(own.json<{ client_id: number }>().client_id, staff.client_id)
    await addEndpoint(app, superToken, { url: everyone.url, events: ['session.created'] })
    const list = await app.inject({ url: '/api/v1/admin/webhooks/', headers: bearer(staffToken) })
    t.equal(list.json<{ count: number }>().count, 1, "staff list their client's endpoints only")

    const outsider = await createUser(app, { clientName: 'Other' })
    await login(app, outsider.username)
    const insider = await createUser(app, { clientName: 'Acme' })
    await login(app, insider.username)
    // The superuser's own login, the staff's, the two users': all go to the every-client endpoint.
    await everyone.until((got) => got.length >= 2 && got.some((d) => d.event.data['user_id'] === insider.id), 5000, 'every client')
    await mine.until((got) => got.some((d) => d.event.data['user_id'] === insider.id), 5000, 'own client')
    t.notOk(mine.deliveries.some((d) => d.event.data['user_id'] === outsider.id), "another client's login did not reach staff's endpoint")
  })

  t.test(`catalogue 31: ${store}: a rolled-back change sends nothing`, async (t) => {
    const app = await build(t, { store, env: ENV })
    await listening(app)
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    const token = await superuserToken(app)
    await addEndpoint(app, token, { url: receiver.url, events: ['session.revoked'] })
    const user = await createUser(app)
    const pair = await login(app, user.username)
    // The logout's last write (its audit row) fails: the whole change rolls back, the staged
    // event with it.
    if (isPostgres(app.db)) {
      await sql`create function keyturn_refuse_logout() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`.execute(app.db)
      await sql`create trigger refuse_logout before insert on audit_events for each row when (new.event = 'logout') execute function keyturn_refuse_logout()`.execute(app.db)
    } else {
      await sql`create trigger refuse_logout before insert on audit_events when new.event = 'logout' begin select raise(abort, 'refused'); end`.execute(app.db)
    }
    const failed = await post(app, '/api/token/blacklist/', { refresh: pair.refresh })
    t.ok(failed.statusCode >= 500, `the logout failed (${failed.statusCode})`)
    const staged = await app.db.selectFrom('webhook_events').select('id').execute()
    t.equal(staged.length, 0, 'no event in the outbox')
    await sql`drop trigger refuse_logout${sql.raw(isPostgres(app.db) ? ' on audit_events' : '')}`.execute(app.db)
    t.equal((await post(app, '/api/token/blacklist/', { refresh: pair.refresh })).statusCode, 200)
    await receiver.until((got) => got.length === 1, 5000, 'the committed logout')
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(receiver.deliveries.length, 1, 'only the committed one arrived')
  })
}

for (const store of stores()) {
  t.test(`${store}: flushexpiredtokens removes old finished events, never one still to deliver`, async (t) => {
    const app = await build(t, { store, env: ENV })
    await listening(app)
    const up = await new Receiver().open()
    const down = await new Receiver().open()
    await down.close()
    t.teardown(() => up.close())
    await app.webhooks.create(null, { url: up.url, events: ['user.created'] })
    await app.webhooks.create(null, { url: down.url, events: ['user.updated'] })
    const user = await createUser(app)
    await app.accounts.update(user.username, { isStaff: true })
    await up.until((got) => got.length === 1, 5000, 'the delivered one')
    // The attempt is recorded once the answer is in.
    const delivered = () => app.db.selectFrom('webhook_deliveries').select('id').where('state', '=', 'delivered').execute()
    for (let i = 0; i < 250 && (await delivered()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    const later = Date.now() + 1000
    t.equal(await drainEvents(app, later), 1, 'the delivered event goes')
    const left = await app.db.selectFrom('webhook_events').select('type').execute()
    t.same(left.map((row) => row.type), ['user.updated'], 'the one still being retried stays')
    t.equal((await app.db.selectFrom('webhook_deliveries').select('id').execute()).length, 1, 'its delivery with it')
  })
}

t.test('catalogue 31: a URL at a private address is refused unless allowed', async (t) => {
  const app = await build(t)
  const token = await superuserToken(app)
  for (const url of ['http://[::7f00:1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://localhost/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://100.64.0.1/', 'http://0.0.0.0/']) {
    const res = await addEndpoint(app, token, { url, events: ['session.created'] })
    t.equal(res.statusCode, 400, url)
    t.match(res.json(), { url: [/loopback, private or link-local/] }, url)
  }
  t.match((await addEndpoint(app, token, { url: 'ftp://example.com/', events: ['session.created'] })).json(), { url: ['Only http and https URLs are allowed.'] })
  t.match((await addEndpoint(app, token, { url: 'http://user:pw@8.8.8.8/', events: ['session.created'] })).json(), { url: [/credentials/] })
  t.equal((await addEndpoint(app, token, { url: 'http://8.8.8.8/hook', events: ['session.created'] })).statusCode, 201, 'a public address is fine')
  t.equal((await addEndpoint(app, token, { url: 'http://8.8.8.8/hook', events: ['nope'] })).statusCode, 400, 'an unknown event type')
  const moved = await app.inject({ method: 'PATCH', url: '/api/v1/admin/webhooks/1/', headers: bearer(token), payload: { url: 'http://127.0.0.1/' } })
  t.equal(moved.statusCode, 400, 'nor can an endpoint be moved to one')
})

t.test('staff: no client, no webhooks; another client\'s endpoint is not found; a client that does not exist is a 400', async (t) => {
  const app = await build(t, { env: ENV })
  await app.accounts.addClient('Acme')
  await app.accounts.addClient('Other')
  const superToken = await superuserToken(app)
  const loner = await createUser(app, { isStaff: true })
  const lonerToken = (await login(app, loner.username)).access
  const everyClient = (await addEndpoint(app, superToken, { url: 'http://127.0.0.1:9/every', events: ['session.created'] })).json<{ id: number }>().id
  t.equal((await addEndpoint(app, lonerToken, { url: 'http://127.0.0.1:9/mine', events: ['session.created'] })).statusCode, 403, 'staff of no client cannot add one')
  t.equal((await app.inject({ url: `/api/v1/admin/webhooks/${everyClient}/`, headers: bearer(lonerToken) })).statusCode, 403, "nor see the every-client endpoint")
  t.equal((await app.inject({ url: '/api/v1/admin/webhooks/', headers: bearer(lonerToken) })).statusCode, 403)

  const other = await createUser(app, { isStaff: true, clientName: 'Other' })
  const otherToken = (await login(app, other.username)).access
  const acme = await createUser(app, { isStaff: true, clientName: 'Acme' })
  const acmeToken = (await login(app, acme.username)).access
  const acmeEndpoint = (await addEndpoint(app, acmeToken, { url: 'http://127.0.0.1:9/acme', events: ['session.created'] })).json<{ id: number }>().id
  for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', 'rotate_secret/'], ['POST', 'test/'], ['GET', 'deliveries/']] as const) {
    for (const id of [acmeEndpoint, everyClient]) {
      const res = await app.inject({ method, url: `/api/v1/admin/webhooks/${id}/${path}`, headers: bearer(otherToken), ...(method === 'GET' ? {} : { payload: {} }) })
      t.equal(res.statusCode, 404, `${method} ${path || 'one'} of ${id === everyClient ? 'the every-client' : "another client's"} endpoint`)
    }
  }
  t.equal((await app.inject({ url: `/api/v1/admin/webhooks/${acmeEndpoint}/`, headers: bearer(acmeToken) })).statusCode, 200, 'its own client sees it')
  const unknown = await addEndpoint(app, superToken, { url: 'http://127.0.0.1:9/x', events: ['session.created'], client_id: 424242 })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { client_id: [/does not exist/] })
})

for (const store of stores()) {
  t.test(`${store}: an endpoint gone from the store is skipped, never a failed login; one failing too long is switched off everywhere`, async (t) => {
    const env = { ...ENV, KEYTURN_WEBHOOK_GIVE_UP: '1s', KEYTURN_WEBHOOK_RETRY_MAX: '200ms' }
    const app = await build(t, { store, env })
    await listening(app)
    const token = await superuserToken(app)
    const user = await createUser(app)
    // Deleted behind this instance's back (as another instance would, before the log tells it).
    const gone = (await addEndpoint(app, token, { url: 'http://127.0.0.1:9/gone', events: ['session.created'] })).json<{ id: number }>().id
    await app.db.deleteFrom('webhook_endpoints').where('id', '=', gone).execute()
    t.ok(app.webhooks.wants('session.created', null), 'this instance still routes to it')
    t.equal((await post(app, '/api/token/', { username: user.username, password: PASSWORD })).statusCode, 200, 'the login succeeds')
    t.equal((await app.db.selectFrom('webhook_deliveries').select('id').execute()).length, 0, 'no delivery to it')

    const down = await new Receiver().open()
    await down.close()
    const failing = (await addEndpoint(app, token, { url: down.url, events: ['session.created'] })).json<{ id: number }>().id
    await login(app, user.username)
    const view = async () => (await app.inject({ url: `/api/v1/admin/webhooks/${failing}/`, headers: bearer(token) })).json<{ is_active: boolean; disabled_reason: string | null }>()
    // Switched off at a failed attempt once it has failed for KEYTURN_WEBHOOK_GIVE_UP in a row.
    // The first event gives up when it is that old, which can be a moment before the streak
    // (begun at its first attempt) is: as in use, later events keep coming and fail too.
    const deadline = Date.now() + 5000
    for (let last = Date.now(); (await view()).is_active && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      if (Date.now() - last > 1200) {
        await login(app, user.username)
        last = Date.now()
      }
    }
    t.match(await view(), { is_active: false, disabled_reason: /^failing since / }, 'switched off, and it says why')
    for (let i = 0; i < 50 && app.webhooks.wants('session.created', null); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.notOk(app.webhooks.wants('session.created', null), 'no longer routed to')
    const test = await post(app, `/api/v1/admin/webhooks/${failing}/test/`, undefined, bearer(token))
    t.equal(test.statusCode, 400, 'a test event to a disabled endpoint is refused')
    const on = await app.inject({ method: 'PATCH', url: `/api/v1/admin/webhooks/${failing}/`, headers: bearer(token), payload: { is_active: true } })
    t.match(on.json(), { is_active: true, disabled_reason: null, failing_since: null }, 'switched on again by staff: a fresh start')
  })
}

for (const store of stores()) {
  t.test(`${store}: with no endpoint active the outbox is not looked at each poll; one switched on elsewhere is served at once`, async (t) => {
    const app = await build(t, { store, env: { ...ENV, KEYTURN_REVOCATION_POLL_MS: '100' } })
    await listening(app)
    const receiver = await new Receiver().open()
    t.teardown(() => receiver.close())
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Another instance adds an endpoint and stages an event for it; its log entry comes last.
    const now = Date.now()
    const endpoint = await insertEndpoint(app.db, {
      client_id: null,
      url: receiver.url,
      events: 'session.created',
      description: '',
      is_active: 1,
      disabled_reason: null,
      secret: newWebhookSecret(),
      previous_secret: null,
      previous_secret_expires_at: null,
      failing_since: null,
      created_at: now,
      updated_at: now,
    })
    const id = newEventId()
    const body = JSON.stringify({ id, type: 'session.created', created_at: new Date(now).toISOString(), data: {} })
    await app.db.transaction().execute((trx) => insertEvent(trx, { id, type: 'session.created', clientId: null, body }, [{ id: endpoint.id, clientId: null, events: new Set() }], now))
    // At KEYTURN_WEBHOOK_POLL_MS (100 ms) it would be sent within this wait.
    await new Promise((resolve) => setTimeout(resolve, 800))
    t.equal(receiver.deliveries.length, 0, 'not sent while this instance knows no active endpoint')
    await recordRevocation(app.db, 'webhook', endpoint.id, Date.now())
    await receiver.until((d) => d.length === 1, 2000, 'the event, once the log names the endpoint')
    t.pass('sent once the log told this instance of the endpoint')
  })
}
