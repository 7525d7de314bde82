// Load-test data, and nothing else: users <prefix>1..<prefix>N sharing one password and,
// if asked, sessions spread over them with varied devices, IPs, ages and states, so staff
// listings and the bench can be measured at millions of rows. With `sharedHash` every user
// gets the same argon2 hash (one salt for all): cheap to make, and never acceptable for real
// accounts.
import type { Kysely } from 'kysely'
import type { Database } from '../infra/store/database.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import type { NewSession } from '../sessions/tables.js'
import { findClientByName } from '../users/clients-store.js'
import { AccountError } from './accounts.js'

export interface SeedOptions {
  count: number
  prefix: string
  password: string
  clientName?: string | undefined
  // Sessions in all, spread evenly over the new users.
  sessions?: number | undefined
  sharedHash?: boolean | undefined
  onProgress?: (done: number, total: number) => void
}

export interface SeedResult {
  created: number
  sessions: number
  first: string | undefined
  last: string | undefined
}

const DAY = 86_400_000
const DEVICES = ['iPhone 15', 'Pixel 8', 'Galaxy S24', 'Firefox on Linux', 'Chrome on Windows', 'Safari on macOS', 'Telegram bot']
const CLIENT_TYPES = ['web', 'mobile', 'mobile', 'web', 'desktop', 'telegram', 'web']
const AGENTS = ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)', 'Mozilla/5.0 (Linux; Android 15)', 'Mozilla/5.0 (X11; Linux x86_64)', 'okhttp/4.12']

// Deterministic spread: the same seed run makes the same rows.
function mix(n: number): number {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  return ((x ^ (x >>> 16)) >>> 0) / 0x1_0000_0000
}

// Session number g (counted across runs by the first id it could take) of a user.
function loadSession(g: number, userId: number, clientId: number | null, now: number): Required<Omit<NewSession, 'id'>> {
  const kind = g % DEVICES.length
  const created = now - Math.floor(mix(g) * 60 * DAY)
  const lastActivity = created + Math.floor(mix(g + 1) * (now - created))
  const fate = mix(g + 2)
  return {
    user_id: userId,
    client_id: clientId,
    client_type: CLIENT_TYPES[kind] as string,
    device_name: `${DEVICES[kind] as string} #${g}`,
    telegram_user_id: null,
    telegram_username: null,
    ip_address: `10.${(g >>> 16) & 255}.${(g >>> 8) & 255}.${g & 255}`,
    user_agent: AGENTS[g % AGENTS.length] as string,
    created_at: created,
    last_activity: lastActivity,
    // One in ten has expired, one in ten was revoked.
    expires_at: fate < 0.1 ? lastActivity + 1 : created + 90 * DAY,
    revoked_at: fate >= 0.1 && fate < 0.2 ? lastActivity : null,
    revoked_reason: fate >= 0.1 && fate < 0.2 ? 'logout' : null,
  }
}

// Rows go in by the few hundred; users' hashes are made several at a time so the thread
// pool stays busy (one in all with sharedHash).
export async function seedAccounts(db: Kysely<Database>, hasher: PasswordHasher, opts: SeedOptions, now = Date.now()): Promise<SeedResult> {
  if (!Number.isSafeInteger(opts.count) || opts.count < 1) throw new AccountError('--count must be a positive whole number')
  const sessionCount = opts.sessions ?? 0
  if (!Number.isSafeInteger(sessionCount) || sessionCount < 0) throw new AccountError('--sessions must be a whole number')
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(opts.prefix)) throw new AccountError('--prefix may hold letters, digits, _ . - only')
  if (opts.password.length === 0) throw new AccountError('password must not be empty')
  let clientId: number | null = null
  if (opts.clientName !== undefined) {
    const client = await findClientByName(db, opts.clientName.trim())
    if (!client) throw new AccountError(`unknown client "${opts.clientName}"`)
    clientId = client.id
  }
  const username = (i: number) => `${opts.prefix}${i + 1}`
  for (let i = 0; i < opts.count; i += 500) {
    const names = Array.from({ length: Math.min(500, opts.count - i) }, (_, k) => username(i + k))
    const taken = await db.selectFrom('users').select('username').where('username', 'in', names).executeTakeFirst()
    if (taken) throw new AccountError(`user "${taken.username}" already exists; choose another --prefix`)
  }

  const shared = opts.sharedHash ? await hasher.hash(opts.password) : undefined
  const firstSession = Number((await db.selectFrom('sessions').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0) + 1
  const total = opts.count + sessionCount
  const BATCH = shared ? 1000 : 250
  const IN_FLIGHT = 8
  let users = 0
  let sessions = 0
  for (let start = 0; start < opts.count; start += BATCH) {
    const size = Math.min(BATCH, opts.count - start)
    const hashes: string[] = new Array(size)
    if (shared) hashes.fill(shared)
    else {
      let next = 0
      const worker = async () => {
        while (next < size) {
          const index = next++
          hashes[index] = await hasher.hash(opts.password)
        }
      }
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    }
    await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('users')
        .values(
          hashes.map((hash, k) => {
            const name = username(start + k)
            return {
              username: name,
              email: `${name.toLowerCase()}@load.example`,
              password_hash: hash,
              client_id: clientId,
              date_joined: now,
              last_login: null,
              expires_at: null,
              created_at: now,
              updated_at: now,
            }
          }),
        )
        .returning('id')
        .execute()
      // User k of the whole run gets sessions [k*S/N, (k+1)*S/N).
      const rows: Array<Required<Omit<NewSession, 'id'>>> = []
      inserted.forEach((row, k) => {
        const index = start + k
        const from = Math.floor((index * sessionCount) / opts.count)
        const to = Math.floor(((index + 1) * sessionCount) / opts.count)
        for (let s = from; s < to; s++) rows.push(loadSession(firstSession + s, Number(row.id), clientId, now))
      })
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('sessions').values(rows.slice(i, i + 1000)).execute()
      users += inserted.length
      sessions += rows.length
    })
    opts.onProgress?.(users + sessions, total)
  }
  return { created: users, sessions, first: username(0), last: username(opts.count - 1) }
}
