// Standard Webhooks (standardwebhooks.com) signing: the secret is "whsec_" and base64 of
// random bytes; each delivery carries webhook-id, webhook-timestamp (seconds) and
// webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>". While a rotated secret
// overlaps, the header holds both signatures (space-separated), so receivers may move over
// at their own pace.
import { createHmac, randomBytes } from 'node:crypto'

const PREFIX = 'whsec_'

export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

function sign(secret: string, payload: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64')
  return `v1,${createHmac('sha256', key).update(payload).digest('base64')}`
}

export function signatureHeaders(id: string, timestampMs: number, body: string, secrets: readonly string[]): Record<string, string> {
  const timestamp = String(Math.floor(timestampMs / 1000))
  const payload = `${id}.${timestamp}.${body}`
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((secret) => sign(secret, payload)).join(' '),
  }
}
