// A webhook receiver for the tests: a real HTTP server on loopback that keeps every delivery
// (headers and body) and can be told to fail, or be closed and opened again on its port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Kysely } from 'kysely'
import { Webhook } from 'standardwebhooks'
import type { Database } from '../../../plugins/infra/store/database.js'

export interface Delivery {
  headers: IncomingHttpHeaders
  body: string
  event: { id: string; type: string; created_at: string; data: Record<string, unknown> }
}

export class Receiver {
  readonly deliveries: Delivery[] = []
  // The status to answer with; 2xx takes the delivery, anything else refuses it.
  status = 204
  private server: Server | undefined
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`
  }

  async open(port = this.port): Promise<this> {
    const server = createServer((request, response) => {
      let body = ''
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => (body += chunk))
      request.on('end', () => {
        if (this.status >= 200 && this.status < 300) this.deliveries.push({ headers: request.headers, body, event: JSON.parse(body) })
        response.statusCode = this.status
        response.end()
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
    return this
  }

  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }

  ofType(type: string): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.event.type === type)
  }

  // Resolves once `done` holds of what arrived; rejects after `ms`.
  async until(done: (deliveries: Delivery[]) => boolean, ms: number, what: string): Promise<Delivery[]> {
    const deadline = Date.now() + ms
    while (!done(this.deliveries)) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (${this.deliveries.length} deliveries: ${this.deliveries.map((d) => d.event.type).join(', ')})`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return this.deliveries
  }
}

// Standard Webhooks' own verifier (the npm package of the spec's authors): throws unless a
// signature in the header is the secret's, over this id, timestamp and body.
export function verifySignature(delivery: Delivery, secret: string): unknown {
  const { headers } = delivery
  return new Webhook(secret).verify(delivery.body, {
    'webhook-id': String(headers['webhook-id']),
    'webhook-timestamp': String(headers['webhook-timestamp']),
    'webhook-signature': String(headers['webhook-signature']),
  })
}

// Resolves once the outbox has nothing pending: a receiver has an event before the instance
// has recorded its answer, so the delivery log and the metrics lag the receiver a little.
export async function outboxSettled(db: Kysely<Database>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const pending = await db.selectFrom('webhook_deliveries').select('id').where('state', '=', 'pending').execute()
    if (pending.length === 0) return
    if (Date.now() > deadline) throw new Error(`${pending.length} webhook deliveries still pending after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
