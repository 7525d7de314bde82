// The `keyturn` commands on SQLite, as an operator runs them (store-commands.ts).
import t from 'tap'
import { CLI_TEST_TIMEOUT_MS } from './keyturn-command.js'
import { storeCommands } from './store-commands.js'

t.setTimeout(CLI_TEST_TIMEOUT_MS)

storeCommands(t, 'sqlite')
