// Response headers for an API: helmet's defaults (nosniff, frame denial, referrer policy,
// HSTS, no cross-origin leaks), and CORS only for the origins KEYTURN_CORS_ORIGINS names.
// helmet's content security policy is off: the answers are JSON, and the docs pages
// (Swagger UI, ReDoc) need inline styles and workers that a strict policy would block.
//
// helmet decides the headers; they are applied from a table computed once. Without CSP
// nonces they are the same on every answer, and @fastify/helmet's per-request work (an
// async hook plus a dozen middlewares calling setHeader) cost about a tenth of a verify.
import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

export function corsOrigins(value: string): string[] | '*' | undefined {
  const v = value.trim()
  if (v === '') return undefined
  if (v === '*') return '*'
  return v.split(',').map((o) => o.trim()).filter(Boolean)
}

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

export default fp(
  async (fastify) => {
    const headers = helmetHeaders({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false })
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers)
      done()
    })
    const origins = corsOrigins(fastify.config.KEYTURN_CORS_ORIGINS)
    if (origins !== undefined) {
      await fastify.register(cors, {
        origin: origins === '*' ? '*' : origins,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        maxAge: 600,
      })
    }
  },
  { name: 'http-headers', dependencies: ['config'] },
)
