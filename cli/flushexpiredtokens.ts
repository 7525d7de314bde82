// keyturn flushexpiredtokens (SimpleJWT's command, on a schedule): what can no longer matter,
// a batch at a time so a large backlog never holds a long lock (paced-drain.ts).
import { Command } from 'commander'
import { withKeyturn } from './boot.js'

export default new Command('flushexpiredtokens')
  .description('delete expired sessions and refresh tokens, old revocation entries, audit events and webhook deliveries')
  .option('--vacuum', 'SQLite: rewrite the file once (VACUUM) so that it can shrink from then on; holds the write lock while it runs')
  .action(async (options: { vacuum?: boolean }) => {
    const { flushExpired } = await import('./flush-expired.js')
    await withKeyturn((keyturn) => flushExpired(keyturn, options))
  })
