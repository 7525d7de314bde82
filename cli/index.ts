// The `keyturn` command: store administration without a running server, one file a command.
// Exit codes: 0 done, 2 bad input (a usage error, or an account, key or service the store
// refuses), 1 anything else. Errors are one `keyturn:` line, never a stack trace.
import { Command, CommanderError, type Option } from 'commander'
import changepassword from './changepassword.js'
import createclient from './createclient.js'
import createservice from './createservice.js'
import createuser from './createuser.js'
import flushexpiredtokens from './flushexpiredtokens.js'
import { packageVersion, requiredByCommand, UsageError } from './io.js'
import keys from './keys.js'
import migrate from './migrate.js'
import seedUsers from './seed-users.js'
import updateuser from './updateuser.js'

const COMMANDS = [migrate, createclient, createuser, changepassword, updateuser, seedUsers, flushexpiredtokens, createservice, keys]

// "createuser --username <name> [--email <email>] ... --password-stdin": every flag of a command.
function synopsis(command: Command): string {
  const flags = command.options
    .filter((option: Option) => option.long !== '--help')
    .map((option: Option) => (option.mandatory || requiredByCommand.has(option) ? option.flags : `[${option.flags}]`))
  if (command.commands.length > 0) return `${command.name()} ${command.usage()}`
  return [command.name(), ...flags].join(' ')
}

const program = new Command('keyturn')
  .description('administer a Keyturn store (KEYTURN_DATABASE_URL, default sqlite:./data/keyturn.sqlite)')
  .usage('<command> [options]')
  .version(packageVersion(), '-V, --version')
  .argument('[command]')
  .allowExcessArguments(true)
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(message.replace(/^error: /, 'keyturn: ')) })
  // Only reached when no command matched.
  .action((name: string | undefined) => {
    if (name === undefined || name === 'help') program.help()
    throw new UsageError(`unknown command "${name}" (see keyturn --help)`)
  })

// The program's error handling and output for every command and subcommand (keys list, ...).
function inherit(command: Command): Command {
  for (const sub of command.commands) inherit(sub)
  return command.exitOverride().configureOutput(program.configureOutput())
}
for (const command of COMMANDS) program.addCommand(inherit(command))

program.addHelpText(
  'after',
  `
Every command and its options (keyturn <command> --help says more):
${COMMANDS.map((command) => `  ${synopsis(command)}`).join('\n')}

Passwords are read from standard input only (one trailing newline is dropped), for example:
  echo 's3cret' | npx keyturn createuser --username alice --email alice@example.com --password-stdin
  npx keyturn createclient --name "Company ABC"`,
)

// An account, a key or a service account the store refuses is bad input too. Their modules
// are loaded by the commands that throw them, so importing them here, only then, costs nothing.
async function refusedByStore(err: unknown): Promise<boolean> {
  const [{ AccountError }, { KeyError }, { ServiceAccountError }] = await Promise.all([
    import('../plugins/accounts/accounts.js'),
    import('../plugins/keys/key-rotation.js'),
    import('../plugins/service-accounts/index.js'),
  ])
  return err instanceof AccountError || err instanceof KeyError || err instanceof ServiceAccountError
}

program.parseAsync(process.argv).catch(async (err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version end this way too, with code 0; commander has written its message.
    process.exitCode = err.exitCode === 0 ? 0 : 2
    return
  }
  const known = err instanceof UsageError || (await refusedByStore(err))
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`keyturn: ${known ? message : `error: ${message}`}\n`)
  process.exitCode = known ? 2 : 1
})
