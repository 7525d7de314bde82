// One attempt at the wire: the delivery-time guard refuses a non-public address even when
// the saved URL got past the first check (a name that now resolves to loopback), a redirect
// is a failure and is not followed, and a receiver that hangs is cut off at the timeout.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { postWebhook } from '../../../plugins/webhooks/sender.js'
import { Receiver } from './receiver.js'

const strict = { timeoutMs: 2000, allowPrivate: false }
const loose = { timeoutMs: 2000, allowPrivate: true }

t.test('catalogue 31: a loopback address is refused at delivery time unless allowed', async (t) => {
  const receiver = await new Receiver().open()
  t.teardown(() => receiver.close())
  const literal = await postWebhook(receiver.url, {}, '{}', strict)
  t.match(literal, { statusCode: null, error: /not a public address/ })
  // A name (localhost) is resolved at connection time, and its address checked there.
  const named = await postWebhook(receiver.url.replace('127.0.0.1', 'localhost'), {}, '{}', strict)
  t.match(named, { statusCode: null, error: /non-public address/ })
  t.equal(receiver.deliveries.length, 0, 'nothing reached the receiver')
  t.match(await postWebhook(receiver.url, {}, '{}', loose), { statusCode: 204, error: null })
})

t.test('catalogue 31: a redirect is a failure, never followed', async (t) => {
  const target = await new Receiver().open()
  const redirector = createServer((_request, response) => {
    response.writeHead(307, { location: target.url }).end()
  })
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await target.close()
    await new Promise((resolve) => redirector.close(resolve))
  })
  const port = (redirector.address() as AddressInfo).port
  t.match(await postWebhook(`http://127.0.0.1:${port}/`, {}, '{}', loose), { statusCode: 307, error: 'HTTP 307' })
  t.equal(target.deliveries.length, 0, 'the redirect was not followed')
})

t.test('a receiver that does not answer is cut off at the timeout', async (t) => {
  const hanging = createServer(() => undefined)
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    hanging.closeAllConnections()
    hanging.close()
  })
  const port = (hanging.address() as AddressInfo).port
  const result = await postWebhook(`http://127.0.0.1:${port}/`, {}, '{}', { timeoutMs: 300, allowPrivate: true })
  t.match(result, { statusCode: null, error: /timed out after 300 ms/ })
  t.ok(result.durationMs < 1500)
})
