// The contract's Profile body on its three aliases.
import t from 'tap'
import { bearer, build, createUser, login, stores } from '../../helper.js'
import { PROFILE_PATHS } from '../../../routes/api/user/index.js'

const ALIASES = ['/api/user/', '/api/users/auth/me/', '/api/v1/auth/users/me/']

const PROFILE_KEYS = [
  'client_id',
  'client_name',
  'date_joined',
  'email',
  'first_name',
  'id',
  'is_active',
  'is_manager',
  'is_staff',
  'is_superuser',
  'last_login',
  'last_name',
  'profile',
  'user_id',
  'username',
]
const PROFILE_PROFILE_KEYS = ['created_at', 'expired', 'expiry_date', 'updated_at']

// ISO 8601 in UTC with a Z, as DRF renders a datetime (fraction optional).
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

interface ProfileBody {
  id: number
  user_id: number
  username: string
  email: string
  first_name: string
  last_name: string
  client_id: number | null
  client_name: string | null
  is_active: boolean
  is_staff: boolean
  is_superuser: boolean
  is_manager: boolean
  date_joined: string
  last_login: string | null
  profile: { expired: boolean; expiry_date: string | null; created_at: string; updated_at: string }
}

t.test('the aliases are the contract\'s', async (t) => {
  t.same(PROFILE_PATHS.map((p) => `/api${p}`).sort(), [...ALIASES].sort())
})

for (const store of stores()) {
  t.test(`profile (${store})`, async (t) => {
    const app = await build(t, { store })
    const client = await app.db
      .insertInto('clients')
      .values({ name: 'Company ABC', created_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow()
    const expiresAt = Date.UTC(2031, 5, 15, 15, 30, 0, 250)
    const alice = await createUser(app, {
      username: 'alice',
      email: 'Alice@Example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      clientName: 'Company ABC',
      isStaff: true,
      isManager: true,
      expiresAt,
    })
    const root = await createUser(app, { username: 'root', isStaff: true, isSuperuser: true })
    const plain = await createUser(app, { username: 'plain', email: '' })

    t.test('every alias returns the same body, with exactly the contract\'s keys and types', async (t) => {
      const before = Date.now()
      const pair = await login(app, 'alice')
      const bodies: ProfileBody[] = []
      for (const alias of ALIASES) {
        for (const url of [alias, alias.slice(0, -1)]) {
          const res = await app.inject({ method: 'GET', url, headers: bearer(pair.access) })
          t.equal(res.statusCode, 200, url)
          t.match(res.headers['content-type'], /^application\/json/, url)
          bodies.push(res.json<ProfileBody>())
        }
      }
      const body = bodies[0] as ProfileBody
      for (const other of bodies) t.same(other, body, 'all aliases agree')

      t.same(Object.keys(body).sort(), PROFILE_KEYS)
      t.same(Object.keys(body.profile).sort(), PROFILE_PROFILE_KEYS)
      t.match(body, {
        id: alice.id,
        user_id: alice.id,
        username: 'alice',
        email: 'alice@example.com',
        first_name: 'Alice',
        last_name: 'Liddell',
        client_id: client.id,
        client_name: 'Company ABC',
        is_active: true,
        is_staff: true,
        is_superuser: false,
        is_manager: true,
      })
      for (const key of ['is_active', 'is_staff', 'is_superuser', 'is_manager'] as const) {
        t.type(body[key], 'boolean', key)
      }
      t.type(body.id, 'number')
      t.ok(Number.isInteger(body.id))
      t.type(body.client_id, 'number')

      for (const [key, value] of [
        ['date_joined', body.date_joined],
        ['last_login', body.last_login],
        ['profile.created_at', body.profile.created_at],
        ['profile.updated_at', body.profile.updated_at],
        ['profile.expiry_date', body.profile.expiry_date],
      ] as const) {
        t.match(value, ISO_UTC, `${key} is ISO 8601 UTC with Z`)
      }
      t.equal(Date.parse(body.date_joined), alice.date_joined, 'date_joined is the stored time')
      t.equal(Date.parse(body.profile.created_at), alice.created_at)
      t.ok(Date.parse(body.profile.updated_at) >= alice.created_at)
      t.ok(body.last_login !== null && Date.parse(body.last_login) >= before - 1000, 'last_login is this login')
      t.equal(body.profile.expired, false)
      t.equal(body.profile.expiry_date, '2031-06-15T15:30:00.250Z')
    })

    t.test('a user with no client, no expiry, never logged in before this token', async (t) => {
      const pair = await login(app, 'plain')
      const res = await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })
      t.equal(res.statusCode, 200)
      const body = res.json<ProfileBody>()
      t.same(Object.keys(body).sort(), PROFILE_KEYS)
      t.match(body, {
        id: plain.id,
        user_id: plain.id,
        username: 'plain',
        email: '',
        first_name: '',
        last_name: '',
        client_id: null,
        client_name: null,
        is_active: true,
        is_staff: false,
        is_superuser: false,
        is_manager: false,
      })
      t.equal(body.client_id, null)
      t.equal(body.client_name, null)
      t.same(body.profile.expired, false)
      t.equal(body.profile.expiry_date, null)
    })

    t.test('staff and superuser flags are reflected', async (t) => {
      const pair = await login(app, 'root')
      const res = await app.inject({ method: 'GET', url: '/api/v1/auth/users/me/', headers: bearer(pair.access) })
      t.equal(res.statusCode, 200)
      t.match(res.json(), { id: root.id, is_staff: true, is_superuser: true, is_manager: false, client_id: null })
    })

    t.test('a time on a whole second has no fraction, as DRF renders it', async (t) => {
      const user = await createUser(app, { username: 'whole', expiresAt: Date.UTC(2030, 0, 1) })
      await app.db.updateTable('users').set({ date_joined: Date.UTC(2025, 0, 1) }).where('id', '=', user.id).execute()
      const pair = await login(app, 'whole')
      const body = (await app.inject({ method: 'GET', url: '/api/user/', headers: bearer(pair.access) })).json<ProfileBody>()
      t.equal(body.date_joined, '2025-01-01T00:00:00Z')
      t.equal(body.profile.expiry_date, '2030-01-01T00:00:00Z')
    })

    t.test('the profile is served from memory, and follows every login on every instance', async (t) => {
      const other = await build(t, { url: app.config.KEYTURN_DATABASE_URL })
      const first = await login(app, 'plain')
      const lastLoginOn = async (instance: typeof app) =>
        (await instance.inject({ method: 'GET', url: '/api/user/', headers: bearer(first.access) })).json<ProfileBody>().last_login
      const seen = await lastLoginOn(other)
      t.equal(await lastLoginOn(app), seen)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      await login(app, 'plain')
      const now = await lastLoginOn(app)
      t.not(now, seen, 'this instance shows the new login at once')
      // The other instance hears of it through the revocation log (polled every 100 ms here).
      let there = await lastLoginOn(other)
      for (let i = 0; i < 30 && there !== now; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        there = await lastLoginOn(other)
      }
      t.equal(there, now, 'and the other instance within its poll')
    })

    t.test('without a token: 401, on every alias', async (t) => {
      for (const url of ALIASES) {
        const res = await app.inject({ method: 'GET', url })
        t.equal(res.statusCode, 401, url)
        t.same(res.json(), { detail: 'Authentication credentials were not provided.' }, url)
        t.equal(res.headers['www-authenticate'], 'Bearer realm="api"', url)
      }
    })

    t.test('only GET', async (t) => {
      const pair = await login(app, 'plain')
      for (const url of ALIASES) {
        const res = await app.inject({ method: 'POST', url, headers: bearer(pair.access), payload: {} })
        t.equal(res.statusCode, 405, url)
        t.same(res.json(), { detail: 'Method "POST" not allowed.' }, url)
      }
    })
  })
}
