// keyturn createuser: a user, with its password read from standard input (never an argument).
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { parseIsoTime, readPassword, passwordStdinOption, requirePasswordStdin } from './io.js'

interface Options {
  username: string
  email?: string
  firstName?: string
  lastName?: string
  client?: string
  staff?: boolean
  superuser?: boolean
  manager?: boolean
  inactive?: boolean
  expires?: string
  passwordStdin?: boolean
}

export default new Command('createuser')
  .description('create a user; the password is read from standard input')
  .requiredOption('--username <name>', 'the login name')
  .option('--email <email>', 'an email address (also accepted at login)')
  .option('--first-name <name>')
  .option('--last-name <name>')
  .option('--client <name>', 'the client (tenant) the user belongs to')
  .option('--staff', 'may administer its client')
  .option('--superuser', 'may administer every client (implies --staff)')
  .option('--manager')
  .option('--inactive', 'cannot log in until made active')
  .option('--expires <ISO-8601>', 'the account expires then')
  .addOption(passwordStdinOption())
  .action(async (opts: Options) => {
    requirePasswordStdin(opts, 'createuser')
    const expiresAt = opts.expires ? parseIsoTime('--expires', opts.expires) : null
    const password = await readPassword()
    await withKeyturn(async ({ accounts }) => {
      const user = await accounts.create({
        username: opts.username,
        password,
        email: opts.email,
        firstName: opts.firstName,
        lastName: opts.lastName,
        clientName: opts.client,
        isStaff: opts.staff === true || opts.superuser === true,
        isSuperuser: opts.superuser === true,
        isManager: opts.manager === true,
        isActive: opts.inactive !== true,
        expiresAt,
      })
      console.log(`created user "${user.username}" (id ${user.id})`)
    })
  })
