// keyturn seed-users: load-test users <prefix>1..<prefix>N sharing one password, and with
// --sessions, sessions spread over them. For load tests only: --shared-hash gives every
// user the same hash, which no real account may share.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { passwordStdinOption, progressBar, readPassword, requirePasswordStdin, UsageError } from './io.js'

interface Options {
  count: string
  prefix: string
  client?: string
  sessions?: string
  sharedHash?: boolean
  passwordStdin?: boolean
}

function wholeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`seed-users needs ${option} N`)
  return Number(value)
}

export default new Command('seed-users')
  .description('create N load-test users <prefix>1..<prefix>N with one password (load tests only)')
  .requiredOption('--count <N>', 'how many users')
  .option('--prefix <prefix>', 'their names start with it', 'load')
  .option('--client <name>', 'the client (tenant) they belong to')
  .option('--sessions <N>', 'sessions in all, spread over the users (varied devices, IPs, ages; some expired or revoked)')
  .option('--shared-hash', 'one password hash for every user: fast to seed millions, for load tests only')
  .addOption(passwordStdinOption())
  .action(async (opts: Options) => {
    requirePasswordStdin(opts, 'seed-users')
    const count = wholeNumber('--count', opts.count) as number
    const sessions = wholeNumber('--sessions', opts.sessions)
    const password = await readPassword()
    const started = Date.now()
    await withKeyturn(async ({ accounts }) => {
      const result = await accounts.seed({
        count,
        prefix: opts.prefix,
        password,
        clientName: opts.client,
        sessions,
        sharedHash: opts.sharedHash === true,
        onProgress: progressBar(count + (sessions ?? 0)),
      })
      const seconds = (Date.now() - started) / 1000
      const withSessions = sessions === undefined ? '' : ` and ${result.sessions} sessions`
      console.log(`created ${result.created} users (${result.first} .. ${result.last})${withSessions} in ${seconds.toFixed(1)} s`)
    })
  })
