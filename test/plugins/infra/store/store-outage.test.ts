// Security catalogue 23: the store goes away under a running instance. Writes answer 503
// with the contract's body and change nothing; the service recovers by itself when the
// store is back. Postgres is reached through a TCP relay the test can cut and restore.
import t from 'tap'
import { createServer, Socket, type Server } from 'node:net'
import { bearer, build, createUser, freshStore, login, post, PASSWORD, UNAVAILABLE } from '../../../helper.js'

class Relay {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket()
      upstream.connect(this.target.port, this.target.host)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
  }

  // The store "goes away": no new connections, and every open one drops.
  async cut(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve())
      for (const s of this.sockets) s.destroy()
    })
  }
}

const base = process.env.KEYTURN_TEST_POSTGRES_URL
t.test('a Postgres outage: 503 and nothing changed, then recovery without a restart', { skip: base ? false : 'KEYTURN_TEST_POSTGRES_URL is not set' }, async (t) => {
  const store = freshStore('postgres')
  t.teardown(() => store.cleanup())
  const target = new URL(store.url)
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) })
  await relay.open()
  t.teardown(() => relay.cut())
  const viaRelay = new URL(store.url)
  viaRelay.hostname = '127.0.0.1'
  viaRelay.port = String(relay.port)
  const app = await build(t, { url: viaRelay.toString(), env: { KEYTURN_REVOCATION_MAX_STALENESS_MS: '1500' } })
  await createUser(app, { username: 'olga' })
  const pair = await login(app, 'olga')
  const countRows = async () => {
    const tokens = await app.db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const sessions = await app.db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute()
    return { tokens: Number(tokens.n), sessions }
  }
  const before = await countRows()
  // The user is in memory from here on (a login makes every instance read it again).
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)

  await relay.cut()
  // Within the staleness limit an access token is still served from memory...
  const early = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
  t.equal(early.statusCode, 200, 'served from memory while the revocation log is fresh enough')
  const answers = [
    await post(app, '/api/token/', { username: 'olga', password: PASSWORD }),
    await post(app, '/api/token/refresh/', { refresh: pair.refresh }),
    await post(app, '/api/token/blacklist/', { refresh: pair.refresh }),
    await post(app, '/api/logout/', { refresh: pair.refresh }),
  ]
  for (const res of answers) {
    t.equal(res.statusCode, 503, res.body)
    t.same(res.json(), UNAVAILABLE)
  }
  // ...past it, the same call fails closed rather than trust memory that may have missed a
  // revocation (the user is still in memory: only the staleness check refuses it).
  await new Promise((r) => setTimeout(r, 1600))
  const me = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
  t.equal(me.statusCode, 503)
  t.same(me.json(), UNAVAILABLE)
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)

  await relay.open()
  // The pool reconnects on its own; give the revocation poll a moment to succeed again.
  let recovered = false
  for (let i = 0; i < 50 && !recovered; i++) {
    recovered = (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200
    if (!recovered) await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(recovered, 'ready again without a restart')
  t.same(await countRows(), before, 'nothing was written while the store was away')
  const refreshed = await post(app, '/api/token/refresh/', { refresh: pair.refresh })
  t.equal(refreshed.statusCode, 200, 'the refresh token was not consumed by the failed attempt')
  await app.revocations.sync(Date.now())
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).statusCode, 200)
})
