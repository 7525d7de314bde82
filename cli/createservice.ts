// keyturn createservice: a service account, which gets tokens of its own with OAuth client
// credentials. Its secret is printed once; the store keeps only a hash.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'
import { UsageError } from './io.js'

export default new Command('createservice')
  .description('create a service account (OAuth client credentials); prints its client_id and, once, its secret')
  .requiredOption('--name <name>', "the service's name")
  .option('--client <name>', 'the client (tenant) it belongs to (default: none, a global service)')
  .option('--scopes <list>', 'comma-separated scopes it may ask for')
  .action(async (opts: { name: string; client?: string; scopes?: string }) => {
    // When it runs, not when the command line is read (boot.ts).
    const { findClientByName } = await import('../plugins/users/clients-store.js')
    await withKeyturn(async ({ db, serviceAccounts }) => {
      let clientId: number | null = null
      if (opts.client !== undefined) {
        const client = await findClientByName(db, opts.client)
        if (client === undefined) throw new UsageError(`no client named "${opts.client}" (keyturn createclient makes one)`)
        clientId = client.id
      }
      const scopes = (opts.scopes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
      // A name or scope it refuses (ServiceAccountError) is bad input: index.ts says so.
      const { account, secret } = await serviceAccounts.create({ name: opts.name, clientId, scopes })
      console.log(`created service "${account.name}" (id ${account.id})`)
      console.log(`client_id: ${account.oauth_client_id}`)
      console.log(`client_secret: ${secret}`)
      console.log('The secret is shown this once: keep it in your secret store.')
    })
  })
