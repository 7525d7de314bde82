// The hash's ceiling for the login scenario: raw @node-rs/argon2 verifies of a real hash at
// the configured parameters, with as many in flight as the load generator has connections.
// Prints {"rate": verifies per second} on stdout.
import { hash, verify, type Algorithm } from '@node-rs/argon2'

const [concurrency = '100', seconds = '10', memoryCost = '19456', timeCost = '2', parallelism = '1'] = process.argv.slice(2)
const password = 'load-test-password'
const stored = await hash(password, {
  algorithm: 2 as Algorithm,
  memoryCost: Number(memoryCost),
  timeCost: Number(timeCost),
  parallelism: Number(parallelism),
})
const deadline = Date.now() + Number(seconds) * 1000
let done = 0
async function loop(): Promise<void> {
  while (Date.now() < deadline) {
    if (!(await verify(stored, password))) throw new Error('argon2 verify failed')
    done++
  }
}
const started = Date.now()
await Promise.all(Array.from({ length: Number(concurrency) }, loop))
process.stdout.write(JSON.stringify({ rate: done / ((Date.now() - started) / 1000) }) + '\n')
