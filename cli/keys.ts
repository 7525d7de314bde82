// keyturn keys list | rotate [--now] | revoke KID: the managed signing keys (KEYTURN_KEYS=managed).
// Every change reaches the running instances through the revocation log within a second.
import { Command } from 'commander'
import { withKeyturn } from './boot.js'

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString())

const list = new Command('list').description('the keys, newest first, with their states and times').action(async () => {
  await withKeyturn(async ({ keys }) => {
    const rows = (await keys.list()).reverse()
    console.log(['kid', 'algorithm', 'state', 'created', 'signs from', 'retired', 'revoked'].join('\t'))
    for (const k of rows) {
      const signsFrom = k.state === 'next' ? k.activates_at : k.activated_at
      console.log([k.kid, k.algorithm, k.state, iso(k.created_at), iso(signsFrom), iso(k.retired_at), iso(k.revoked_at)].join('\t'))
    }
  })
})

const rotate = new Command('rotate')
  .description('hand signing to the next key once it has been published for twice KEYTURN_JWKS_MAX_AGE (--now: at once)')
  .option('--now', 'at once, even if verifiers that cache the JWKS may not have the next key yet')
  .action(async (opts: { now?: boolean }) => {
    await withKeyturn(async ({ keys }) => {
      const changes = await keys.rotate(opts.now === true ? 'now' : 'scheduled')
      for (const change of changes) console.log(change)
      if (changes.length === 0) console.log('nothing to change: the next key is due to sign already')
    })
  })

const revoke = new Command('revoke')
  .description('unpublish a leaked key: its tokens, refresh tokens included, are refused everywhere within a second')
  .argument('<kid>', 'the key id (keyturn keys list)')
  // A kid is base64url and may start with "-": taken as the id, not as an unknown option.
  .allowUnknownOption()
  .action(async (kid: string) => {
    await withKeyturn(async ({ keys }) => {
      for (const change of await keys.revoke(kid)) console.log(change)
    })
  })

export default new Command('keys')
  .description('list, rotate or revoke the managed signing keys (KEYTURN_KEYS=managed)')
  .usage('list | rotate [--now] | revoke <kid>')
  .addCommand(list)
  .addCommand(rotate)
  .addCommand(revoke)
