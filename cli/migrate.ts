// keyturn migrate: bring the store's schema up to date (the server does it at start too).
import { Command } from 'commander'
import { withKeyturn } from './boot.js'

export default new Command('migrate')
  .description('apply pending migrations')
  .action(async () => {
    await withKeyturn(async () => console.log('store is up to date'))
  })
