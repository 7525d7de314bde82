// keyturn seed-users: load-test users <prefix>1..<prefix>N sharing one password, each with
// its own argon2 hash.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { passwordStdinOption, progressBar, readPassword, requirePasswordStdin, UsageError } from './io.js'

interface Options {
  count: string
  prefix: string
  client?: string
  passwordStdin?: boolean
}

export default new Command('seed-users')
  .description('create N load-test users <prefix>1..<prefix>N with one password')
  .requiredOption('--count <N>', 'how many users')
  .option('--prefix <prefix>', 'their names start with it', 'load')
  .option('--client <name>', 'the client (tenant) they belong to')
  .addOption(passwordStdinOption())
  .action(async (opts: Options) => {
    requirePasswordStdin(opts, 'seed-users')
    if (!/^[0-9]+$/.test(opts.count)) throw new UsageError('seed-users needs --count N')
    const count = Number(opts.count)
    const password = await readPassword()
    const started = Date.now()
    await withKeyturn(async ({ accounts }) => {
      const result = await accounts.seed({ count, prefix: opts.prefix, password, clientName: opts.client, onProgress: progressBar(count) })
      const seconds = (Date.now() - started) / 1000
      console.log(`created ${result.created} users (${result.first} .. ${result.last}) in ${seconds.toFixed(1)} s`)
    })
  })
