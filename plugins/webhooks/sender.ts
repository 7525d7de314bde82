// One delivery attempt: a POST of the signed body, answered within the timeout or counted as
// failed. A 2xx is success; anything else (a redirect included: never followed), a timeout
// or a connection error is a failure to retry. The receiver's answer body is read and dropped.
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, hostOf, isPublicAddress } from './address-guard.js'

export interface AttemptResult {
  statusCode: number | null
  // Why it failed, for the delivery log: never the receiver's body.
  error: string | null
  durationMs: number
}

export interface SendOptions {
  timeoutMs: number
  allowPrivate: boolean
}

export function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<AttemptResult> {
  const started = performance.now()
  const done = (statusCode: number | null, error: string | null): AttemptResult => ({
    statusCode,
    error: error?.slice(0, 255) ?? null,
    durationMs: Math.round(performance.now() - started),
  })
  return new Promise((resolve) => {
    let url: URL
    try {
      url = new URL(rawUrl)
    } catch {
      return resolve(done(null, 'invalid URL'))
    }
    const host = hostOf(url)
    // A literal address is never looked up, so it is checked here.
    if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return resolve(done(null, 'refused: not a public address'))
    const transport = url.protocol === 'https:' ? https : http
    const request = transport.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Keyturn-Webhooks/1' },
      timeout: options.timeoutMs,
      agent: false,
      ...(options.allowPrivate ? {} : { lookup: guardedLookup as never }),
    })
    // The answer is over at the deadline whatever the socket does next.
    const deadline = setTimeout(() => {
      resolve(done(null, `timed out after ${options.timeoutMs} ms`))
      request.destroy()
    }, options.timeoutMs)
    request.on('timeout', () => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)))
    request.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(deadline)
      resolve(done(null, err.code !== undefined && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message))
    })
    request.on('response', (response) => {
      response.resume()
      response.on('end', () => {
        clearTimeout(deadline)
        const status = response.statusCode ?? 0
        resolve(done(status, status >= 200 && status < 300 ? null : `HTTP ${status}`))
      })
      response.on('error', () => undefined)
    })
    request.end(body)
  })
}
