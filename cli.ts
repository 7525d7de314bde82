// The `keyturn` command: store administration without a running server.
import { parseArgs } from 'node:util'
import { AccountError, addClient, changePassword, createAccount, seedAccounts, updateAccount } from './auth/accounts.js'
import { PasswordHasher } from './auth/passwords.js'
import { parseDuration } from './auth/durations.js'
import { revocationRetentionMs } from './auth/revocation-state.js'
import { loadConfig, type KeyturnConfig } from './fastify.config.js'
import { ensurePostgresSchema, openStore, type Store } from './store/connect.js'
import { deleteAuditEventsBefore } from './store/audit.js'
import { migrateToLatest } from './store/migrate.js'
import { deleteExpiredRefreshTokens } from './store/refresh-tokens.js'
import { deleteRevocationsBefore } from './store/revocations.js'
import { deleteExpiredSessions } from './store/sessions.js'

const HELP = `keyturn: administer a Keyturn store (KEYTURN_DATABASE_URL, default sqlite:./data/keyturn.sqlite)

Usage: keyturn <command> [options]

Commands:
  migrate                       apply pending migrations
  createclient --name NAME      create a client (tenant)
  createuser --username U [--email E] [--first-name F] [--last-name L] [--client NAME]
             [--staff] [--superuser] [--manager] [--inactive] [--expires ISO-8601]
             --password-stdin
                                create a user; the password is read from standard input
  changepassword --username U --password-stdin
                                set a new password (ends every session of the user)
  updateuser --username U [--active | --inactive] [--expires ISO-8601 | --no-expiry]
             [--staff | --no-staff] [--superuser | --no-superuser] [--manager | --no-manager]
                                change a user's standing (deactivating ends every session)
  seed-users --count N [--prefix load] [--client NAME] --password-stdin
                                create N load-test users <prefix>1..<prefix>N with one password
  flushexpiredtokens            delete expired sessions and refresh tokens, old revocation entries and audit events

Examples:
  echo 's3cret' | npx keyturn createuser --username alice --email alice@example.com --password-stdin
  npx keyturn createclient --name "Company ABC"
`

class UsageError extends Error {}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (end with Enter, then Ctrl-D): ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  // `echo pw |` appends one newline; everything else is the password, byte for byte.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

async function withStore<T>(config: KeyturnConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const url = config.KEYTURN_DATABASE_URL
  if (url.startsWith('postgres')) await ensurePostgresSchema(url)
  const store = openStore(url, { sqliteSynchronous: config.KEYTURN_SQLITE_SYNCHRONOUS, sqliteBusyTimeoutMs: config.KEYTURN_SQLITE_BUSY_TIMEOUT_MS, poolSize: 2 })
  try {
    const { error, results } = await migrateToLatest(store.db, store.schema)
    if (error) throw error
    for (const r of results ?? []) if (r.status === 'Success') console.log(`applied migration ${r.migrationName}`)
    return await fn(store)
  } finally {
    await store.close()
  }
}

function hasher(config: KeyturnConfig): PasswordHasher {
  return new PasswordHasher({
    memoryCost: config.KEYTURN_ARGON2_MEMORY_KIB,
    timeCost: config.KEYTURN_ARGON2_TIME_COST,
    parallelism: config.KEYTURN_ARGON2_PARALLELISM,
  })
}

// A date (midnight UTC) or a date-time with Z or an offset; Date.parse alone guesses
// ("1" is 2001, 2030-02-30 is March 2nd), so the shape and the calendar day are checked.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/

// A progress bar on a terminal; nothing when the output is a file or a pipe.
function progressBar(total: number): ((done: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  return (done) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`)
    if (done === total) process.stderr.write('\n')
  }
}

function parseIsoTime(value: string): number {
  const match = ISO_8601.exec(value.trim())
  const ms = match ? Date.parse(value.trim()) : NaN
  const [, y, m, d] = match ?? []
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  const realDay = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(m) - 1 && day.getUTCDate() === Number(d)
  if (Number.isNaN(ms) || !realDay) {
    throw new UsageError(`--expires: not an ISO 8601 date or date-time (e.g. 2030-01-31 or 2030-01-31T12:00:00Z): ${value}`)
  }
  return ms
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP)
    return
  }
  const config = loadConfig()
  switch (command) {
    case 'migrate': {
      parseArgs({ args: rest, options: {} })
      await withStore(config, async () => console.log('store is up to date'))
      return
    }
    case 'createclient': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' } } })
      if (!values.name) throw new UsageError('createclient needs --name')
      const name = values.name
      await withStore(config, async ({ db }) => {
        const client = await addClient(db, name)
        console.log(`created client "${client.name}" (id ${client.id})`)
      })
      return
    }
    case 'createuser': {
      const { values } = parseArgs({
        args: rest,
        options: {
          username: { type: 'string' },
          email: { type: 'string' },
          'first-name': { type: 'string' },
          'last-name': { type: 'string' },
          client: { type: 'string' },
          staff: { type: 'boolean' },
          superuser: { type: 'boolean' },
          manager: { type: 'boolean' },
          inactive: { type: 'boolean' },
          expires: { type: 'string' },
          'password-stdin': { type: 'boolean' },
        },
      })
      if (!values.username) throw new UsageError('createuser needs --username')
      if (!values['password-stdin']) throw new UsageError('createuser needs --password-stdin (passwords are never taken as arguments)')
      const expiresAt = values.expires ? parseIsoTime(values.expires) : null
      const password = await readPassword()
      const username = values.username
      await withStore(config, async ({ db }) => {
        const user = await createAccount(db, hasher(config), {
          username,
          password,
          email: values.email,
          firstName: values['first-name'],
          lastName: values['last-name'],
          clientName: values.client,
          isStaff: values.staff === true || values.superuser === true,
          isSuperuser: values.superuser === true,
          isManager: values.manager === true,
          isActive: values.inactive !== true,
          expiresAt,
        })
        console.log(`created user "${user.username}" (id ${user.id})`)
      })
      return
    }
    case 'changepassword': {
      const { values } = parseArgs({
        args: rest,
        options: { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
      })
      if (!values.username) throw new UsageError('changepassword needs --username')
      if (!values['password-stdin']) throw new UsageError('changepassword needs --password-stdin')
      const password = await readPassword()
      const username = values.username
      await withStore(config, async ({ db }) => {
        const { user, endedSessions } = await changePassword(db, hasher(config), username, password)
        console.log(`password changed for "${user.username}"; ended ${endedSessions} session(s)`)
      })
      return
    }
    case 'updateuser': {
      const { values } = parseArgs({
        args: rest,
        options: {
          username: { type: 'string' },
          active: { type: 'boolean' },
          inactive: { type: 'boolean' },
          expires: { type: 'string' },
          'no-expiry': { type: 'boolean' },
          staff: { type: 'boolean' },
          'no-staff': { type: 'boolean' },
          superuser: { type: 'boolean' },
          'no-superuser': { type: 'boolean' },
          manager: { type: 'boolean' },
          'no-manager': { type: 'boolean' },
        },
      })
      if (!values.username) throw new UsageError('updateuser needs --username')
      const either = (yes: boolean | undefined, no: boolean | undefined, name: string) => {
        if (yes && no) throw new UsageError(`--${name} and --no-${name} contradict each other`)
        return yes ? true : no ? false : undefined
      }
      if (values.active && values.inactive) throw new UsageError('--active and --inactive contradict each other')
      if (values.expires && values['no-expiry']) throw new UsageError('--expires and --no-expiry contradict each other')
      const changes = {
        isActive: values.active ? true : values.inactive ? false : undefined,
        expiresAt: values.expires ? parseIsoTime(values.expires) : values['no-expiry'] ? null : undefined,
        isStaff: either(values.staff, values['no-staff'], 'staff'),
        isSuperuser: either(values.superuser, values['no-superuser'], 'superuser'),
        isManager: either(values.manager, values['no-manager'], 'manager'),
      }
      const username = values.username
      await withStore(config, async ({ db }) => {
        const { user, endedSessions } = await updateAccount(db, username, changes)
        const state = [user.is_active ? 'active' : 'inactive', user.is_staff ? 'staff' : null, user.is_superuser ? 'superuser' : null]
        console.log(`updated "${user.username}" (${state.filter(Boolean).join(', ')}); ended ${endedSessions} session(s)`)
      })
      return
    }
    case 'seed-users': {
      const { values } = parseArgs({
        args: rest,
        options: {
          count: { type: 'string' },
          prefix: { type: 'string', default: 'load' },
          client: { type: 'string' },
          'password-stdin': { type: 'boolean' },
        },
      })
      if (!values.count || !/^[0-9]+$/.test(values.count)) throw new UsageError('seed-users needs --count N')
      if (!values['password-stdin']) throw new UsageError('seed-users needs --password-stdin')
      const password = await readPassword()
      const count = Number(values.count)
      const prefix = values.prefix
      const started = Date.now()
      await withStore(config, async ({ db }) => {
        const result = await seedAccounts(db, hasher(config), {
          count,
          prefix,
          password,
          clientName: values.client,
          onProgress: progressBar(count),
        })
        const seconds = (Date.now() - started) / 1000
        console.log(`created ${result.created} users (${result.first} .. ${result.last}) in ${seconds.toFixed(1)} s`)
      })
      return
    }
    case 'flushexpiredtokens': {
      parseArgs({ args: rest, options: {} })
      await withStore(config, async ({ db }) => {
        const now = Date.now()
        let sessions = 0
        for (let n = -1; n !== 0; sessions += n) n = await deleteExpiredSessions(db, now, 1000)
        let tokens = 0
        for (let n = -1; n !== 0; tokens += n) n = await deleteExpiredRefreshTokens(db, now, 1000)
        // Revocation entries matter only while an access token of theirs may be alive; a
        // minute more covers instances that poll the log late.
        const keep = revocationRetentionMs(parseDuration(config.KEYTURN_ACCESS_TOKEN_LIFETIME), config.KEYTURN_LEEWAY * 1000) + 60_000
        const revocations = await deleteRevocationsBefore(db, now - keep)
        const auditRetention = parseDuration(config.KEYTURN_AUDIT_RETENTION)
        let audit = 0
        if (auditRetention > 0) for (let n = -1; n !== 0; audit += n) n = await deleteAuditEventsBefore(db, now - auditRetention, 1000)
        console.log(
          `deleted ${sessions} expired session(s), ${tokens} expired refresh token(s), ${revocations} old revocation entr${revocations === 1 ? 'y' : 'ies'} and ${audit} old audit event(s)`,
        )
      })
      return
    }
    default:
      throw new UsageError(`unknown command "${command}" (see keyturn --help)`)
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof UsageError || err instanceof AccountError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`keyturn: ${known ? message : `error: ${message}`}\n`)
  process.exitCode = known ? 2 : 1
})
