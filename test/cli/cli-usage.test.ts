// The `keyturn` command's help, version and usage errors, run as an operator runs them: child
// processes (on a real store where one is needed).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ChildTracker, childEnv, ROOT } from '../child-processes.js'
import { CLI_TEST_TIMEOUT_MS, neverLeaks, onFreshStore, refused } from './keyturn-command.js'

t.setTimeout(CLI_TEST_TIMEOUT_MS)

t.test('--help lists every command and exits 0', async (t) => {
  const procs = new ChildTracker(t)
  const env = childEnv({ NODE_ENV: 'test' })
  const [help, unknown] = await Promise.all([
    procs.run('cli/index.ts', ['--help'], env),
    procs.run('cli/index.ts', ['frobnicate'], env),
  ])
  t.equal(help.code, 0, help.stderr)
  t.equal(help.stderr, '')
  for (const command of ['migrate', 'createclient', 'createuser', 'changepassword', 'flushexpiredtokens']) {
    t.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `${command} is listed`)
  }
  for (const flag of ['--name', '--username', '--email', '--first-name', '--last-name', '--client', '--staff', '--superuser', '--manager', '--inactive', '--expires', '--password-stdin']) {
    t.ok(help.stdout.includes(flag), `${flag} is documented`)
  }
  refused(t, unknown, /unknown command "frobnicate"/, 'unknown command')
})

t.test('--version, and --help for each command', async (t) => {
  const procs = new ChildTracker(t)
  const env = childEnv({ NODE_ENV: 'test' })
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  const printed = await procs.run('cli/index.ts', ['--version'], env)
  t.equal(printed.code, 0, printed.stderr)
  t.equal(printed.stdout.trim(), version)
  const flags: Record<string, string[]> = {
    migrate: [],
    createclient: ['--name'],
    createuser: ['--username', '--email', '--first-name', '--last-name', '--client', '--staff', '--superuser', '--manager', '--inactive', '--expires', '--password-stdin'],
    changepassword: ['--username', '--password-stdin'],
    updateuser: ['--username', '--active', '--inactive', '--expires', '--no-expiry', '--staff', '--no-staff', '--superuser', '--no-superuser', '--manager', '--no-manager'],
    'seed-users': ['--count', '--prefix', '--client', '--sessions', '--shared-hash', '--password-stdin'],
    flushexpiredtokens: [],
  }
  const helps = await Promise.all(Object.keys(flags).map((command) => procs.run('cli/index.ts', [command, '--help'], env)))
  Object.entries(flags).forEach(([command, expected], i) => {
    const help = helps[i]
    if (!help) throw new Error('missing result')
    t.equal(help.code, 0, `${command} --help exits 0`)
    t.match(help.stdout, new RegExp(`^Usage: keyturn ${command}\\b`, 'm'), `${command} --help says how to call it`)
    for (const flag of expected) t.ok(help.stdout.includes(flag), `${command} --help documents ${flag}`)
  })
})

// Refused before the store is touched, so once is enough whatever the store.
t.test('usage errors: non-zero exit, a clear message, nobody created', async (t) => {
  const { procs, env, open } = onFreshStore(t, 'sqlite')
  const app = await open()
  const cases: [string, string[], string | undefined, RegExp][] = [
    ['createclient without --name', ['createclient'], undefined, /--name/],
    ['createuser without --username', ['createuser', '--password-stdin'], 'xavier pw\n', /--username/],
    ['createuser without --password-stdin', ['createuser', '--username', 'dave'], 'dave pw\n', /--password-stdin/],
    ['password as an argument', ['createuser', '--username', 'erin', '--password', 'hunter2-arg'], undefined, /--password\b/],
    ['--expires not a time', ['createuser', '--username', 'hal', '--expires', 'tomorrow', '--password-stdin'], 'hal pw\n', /--expires/],
    // --expires takes ISO 8601, not whatever Date.parse guesses: "1" is the year 2001 (an
    // account born expired), and Feb 30 rolls over into March 2.
    ['--expires a bare number', ['createuser', '--username', 'ivy', '--expires', '1', '--password-stdin'], 'ivy pw\n', /--expires/],
    ['--expires an impossible date', ['createuser', '--username', 'jo', '--expires', '2030-02-30', '--password-stdin'], 'jo pw\n', /--expires/],
    ['changepassword without --password-stdin', ['changepassword', '--username', 'bob'], 'bob pw\n', /--password-stdin/],
  ]
  const results = await Promise.all(cases.map(([, args, input]) => procs.run('cli/index.ts', args, env, input)))
  cases.forEach(([what, , input, message], i) => {
    const r = results[i]
    if (!r) throw new Error('missing result')
    refused(t, r, message, what)
    neverLeaks(t, r, ['hunter2-arg', ...(input?.trim() ? [input.trim()] : [])], what)
  })
  const users = await app.db.selectFrom('users').select(['username', 'expires_at']).execute()
  t.same(users, [], 'nobody was created')
  const clients = await app.db.selectFrom('clients').select('name').execute()
  t.same(clients, [], 'no client was created')
})

// What the service-account flow refuses (plugins/service-accounts) is bad input as well: the
// message as it is, exit 2, and no account made.
t.test('createservice: a name or a scope the flow refuses exits 2 with its message', async (t) => {
  const { procs, env, open } = onFreshStore(t, 'sqlite')
  const app = await open()
  // Once first, so that the two below find the development key it makes rather than race for it.
  t.equal((await procs.run('cli/index.ts', ['migrate'], env)).code, 0, 'migrate')
  const [noName, badScope] = await Promise.all([
    procs.run('cli/index.ts', ['createservice', '--name', '  '], env),
    procs.run('cli/index.ts', ['createservice', '--name', 'billing', '--scopes', 'read "all"'], env),
  ])
  refused(t, noName, /^keyturn: a service needs a name of 1 to 150 characters$/m, 'a blank name')
  refused(t, badScope, /^keyturn: not a scope: /m, 'a scope with quotes')
  t.same(await app.db.selectFrom('service_accounts').select('name').execute(), [], 'no service account was made')
})
