// keyturn changepassword: a new password ends every session of the user, on every instance.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { readPassword, passwordStdinOption, requirePasswordStdin } from './io.js'

export default new Command('changepassword')
  .description('set a new password (ends every session of the user)')
  .requiredOption('--username <name>', 'whose password')
  .addOption(passwordStdinOption('the new password'))
  .action(async (opts: { username: string; passwordStdin?: boolean }) => {
    requirePasswordStdin(opts, 'changepassword')
    const password = await readPassword()
    await withKeyturn(async ({ accounts }) => {
      const { user, endedSessions } = await accounts.changePassword(opts.username, password)
      console.log(`password changed for "${user.username}"; ended ${endedSessions} session(s)`)
    })
  })
