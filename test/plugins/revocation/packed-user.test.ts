import t from 'tap'
import { packedClientId, packUser, unpackUser, type CachedUser } from '../../../plugins/revocation/packed-user.js'

const user = (over: Partial<CachedUser> = {}): CachedUser => ({
  id: 42,
  username: 'ada',
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  client_id: 7,
  client_name: 'acme',
  is_active: 1,
  is_staff: 0,
  is_superuser: 0,
  is_manager: 1,
  date_joined: 1_700_000_000_123,
  last_login: 1_800_000_000_456,
  expires_at: null,
  created_at: 1_700_000_000_123,
  updated_at: 1_750_000_000_000,
  ...over,
})

t.test('a user comes back as it went in, field for field', async (t) => {
  const cases = [
    user(),
    user({ client_id: null, client_name: null, email: null, last_login: null, expires_at: 1_900_000_000_000 }),
    user({ username: 'a,b"c\\d', first_name: '日本語 ☃ \u0000 \n', last_name: '', email: 'x,y@z' }),
    user({ id: Number.MAX_SAFE_INTEGER, client_id: 0, date_joined: 0 }),
  ]
  for (const u of cases) t.strictSame(unpackUser(packUser(u)), u)
  t.notOk(packUser({ ...user(), password_hash: 'argon2id$secret' } as CachedUser).includes('secret'), 'a field not cached (the hash) is never packed')
})

t.test("a packed user's tenant is read from its start", async (t) => {
  t.equal(packedClientId(packUser(user({ client_id: 7 }))), 7)
  t.equal(packedClientId(packUser(user({ client_id: null }))), null)
  t.equal(packedClientId(packUser(user({ client_id: 0, username: '1,2,3' }))), 0)
  t.equal(packedClientId(packUser(user({ id: 123456789, client_id: 987654321 }))), 987654321)
})
