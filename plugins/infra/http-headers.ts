// Response headers for an API, after OWASP's REST Security Cheat Sheet: no caching (token
// answers must never be cached, RFC 6749 5.1), no MIME sniffing, no framing, HSTS; and CORS
// only for the origins KEYTURN_CORS_ORIGINS names. helmet decides its three; the
// document-only policies of its defaults (COOP, CORP, Origin-Agent-Cluster, Referrer-Policy,
// DNS prefetch, download options, cross-domain policies, XSS auditor) govern HTML documents
// (the only HTML here is the docs pages, which hold nothing secret) and are off: Node
// validates every header of every answer, and those eight made a verify's answer cost
// about 8% more instructions (callgrind) while protecting no JSON response.
//
// The headers are the same on every answer, so they are computed once and applied from a
// table (@fastify/helmet's per-request middleware chain cost as much again).
import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

// Runs helmet once against a recording response and returns the headers it set.
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err
  })
  if (failure) throw failure
  return headers
}

export const API_HELMET_OPTIONS: Readonly<HelmetOptions> = {
  strictTransportSecurity: true,
  xContentTypeOptions: true,
  xFrameOptions: { action: 'deny' },
  contentSecurityPolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
}

export default fp(
  async (fastify) => {
    const headers = { ...helmetHeaders(API_HELMET_OPTIONS), 'cache-control': 'no-store' }
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.headers(headers)
      reply.header('x-request-id', request.id)
      done()
    })
    const origins = fastify.config.KEYTURN_CORS_ORIGINS
    // A server that embeds Keyturn and answers CORS itself keeps doing so.
    if (origins.length > 0 && !fastify.hasRequestDecorator('corsPreflightEnabled')) {
      await fastify.register(cors, {
        origin: origins.length === 1 && origins[0] === '*' ? '*' : origins,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        maxAge: 600,
      })
    }
  },
  { name: 'http-headers', dependencies: ['config'] },
)
