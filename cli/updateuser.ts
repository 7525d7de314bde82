// keyturn updateuser: a user's standing. Deactivating (or an expiry in the past) ends every
// session of the user; every change reaches every running instance.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { parseIsoTime, UsageError } from './io.js'

interface Options {
  username: string
  active?: boolean
  inactive?: boolean
  expires?: string
  expiry?: boolean // false for --no-expiry
  staff?: boolean
  superuser?: boolean
  manager?: boolean
}

// Commander lets the last of --x and --no-x win; an operator who typed both meant neither.
function refuseContradictions(args: readonly string[]): void {
  const pairs = [['--active', '--inactive'], ['--expires', '--no-expiry'], ['--staff', '--no-staff'], ['--superuser', '--no-superuser'], ['--manager', '--no-manager']]
  for (const [yes, no] of pairs) {
    const given = (flag: string | undefined) => args.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
    if (given(yes) && given(no)) throw new UsageError(`${yes} and ${no} contradict each other`)
  }
}

export default new Command('updateuser')
  .description("change a user's standing (deactivating ends every session)")
  .requiredOption('--username <name>', 'whose standing')
  .option('--active', 'may log in again')
  .option('--inactive', 'can no longer log in; every session ends')
  .option('--expires <ISO-8601>', 'the account expires then')
  .option('--no-expiry', 'the account never expires')
  .option('--staff')
  .option('--no-staff')
  .option('--superuser')
  .option('--no-superuser')
  .option('--manager')
  .option('--no-manager')
  .action(async (opts: Options) => {
    refuseContradictions(process.argv.slice(2))
    const changes = {
      isActive: opts.active ? true : opts.inactive ? false : undefined,
      expiresAt: opts.expires ? parseIsoTime('--expires', opts.expires) : opts.expiry === false ? null : undefined,
      isStaff: opts.staff,
      isSuperuser: opts.superuser,
      isManager: opts.manager,
    }
    await withKeyturn(async ({ accounts }) => {
      const { user, endedSessions } = await accounts.update(opts.username, changes)
      const state = [user.is_active ? 'active' : 'inactive', user.is_staff ? 'staff' : null, user.is_superuser ? 'superuser' : null]
      console.log(`updated "${user.username}" (${state.filter(Boolean).join(', ')}); ended ${endedSessions} session(s)`)
    })
  })
