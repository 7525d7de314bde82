// Server-side request forgery: a webhook URL must not make Keyturn call into its own network.
// Only public unicast addresses are allowed (no loopback, private, link-local, unique-local,
// carrier-grade NAT, reserved, multicast, or IPv6 forms that embed an IPv4 address), unless
// KEYTURN_WEBHOOK_ALLOW_PRIVATE is set. The check is made when an endpoint is saved and again
// at every connection, on the address actually dialled (a name that resolves elsewhere later,
// DNS rebinding, is caught there); redirects are never followed.
import ipaddr from 'ipaddr.js'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { lookup as lookupAll } from 'node:dns/promises'
import { isIP } from 'node:net'

// Bad input for an endpoint; `field` is the body field it is about.
export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError'
  constructor(
    message: string,
    readonly field = 'url',
  ) {
    super(message)
  }
}

// The URL's host as a resolver or an address parser takes it (an IPv6 literal without brackets).
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '')
}

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  const parsed = ipaddr.process(address)
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated) counts as unicast to ipaddr.js; it embeds an
  // IPv4 address that may be loopback or private.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false
  return parsed.range() === 'unicast'
}

// A URL fit to save: http(s), no credentials, and (unless private ones are allowed) a host
// that resolves to public addresses only.
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new WebhookUrlError('Enter a valid URL.')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlError('Only http and https URLs are allowed.')
  if (url.username !== '' || url.password !== '') throw new WebhookUrlError('A webhook URL must not carry credentials.')
  if (allowPrivate) return url
  const host = hostOf(url)
  let addresses: string[]
  if (isIP(host) !== 0) addresses = [host]
  else {
    try {
      addresses = (await lookupAll(host, { all: true })).map((entry) => entry.address)
    } catch {
      throw new WebhookUrlError(`The host ${host.slice(0, 100)} could not be resolved.`)
    }
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
    throw new WebhookUrlError('The URL resolves to a loopback, private or link-local address (set KEYTURN_WEBHOOK_ALLOW_PRIVATE=true to allow it).')
  }
  return url
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

// A dns.lookup for http.request that refuses to hand over a non-public address.
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, found) => {
    if (err) return callback(err, [])
    const refused = found.find((entry) => !isPublicAddress(entry.address))
    if (refused !== undefined) {
      const error: NodeJS.ErrnoException = new Error(`refused to connect to a non-public address for ${hostname}`)
      error.code = 'EADDRNOTPUBLIC'
      return callback(error, [])
    }
    const wantsAll = (options as { all?: boolean }).all === true
    if (wantsAll) return callback(null, found)
    const first = found[0]!
    callback(null, first.address, first.family)
  })
}
