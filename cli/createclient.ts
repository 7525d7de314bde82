// keyturn createclient: a client (tenant) that users can belong to.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'

export default new Command('createclient')
  .description('create a client (tenant)')
  .requiredOption('--name <name>', "the client's name")
  .action(async (opts: { name: string }) => {
    await withKeyturn(async ({ accounts }) => {
      const client = await accounts.addClient(opts.name)
      console.log(`created client "${client.name}" (id ${client.id})`)
    })
  })
