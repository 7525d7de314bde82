// What every console page runs in (routes/admin/autohooks.ts): cookies, CSRF tokens on every
// form, server-rendered templates (Eta escapes every value it prints unless told otherwise),
// a strict CSP, error pages instead of JSON, and the sign-in gate. All of it stays under
// /admin: the API's requests parse no cookie and render nothing.
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { join } from 'node:path'
import { ApiError } from '../infra/api-error.js'
import { helmetHeaders } from '../infra/http-headers.js'
import { keyturnPackage } from '../infra/package-root.js'
import { isStoreUnavailable } from '../infra/store/store-errors.js'
import type { ConsoleUser } from './index.js'
import { viewHelpers } from './view-helpers.js'

declare module 'fastify' {
  interface FastifyRequest {
    consoleUser: ConsoleUser | null
  }
  interface FastifyContextConfig {
    // A console route open without signing in (the sign-in page, the stylesheet).
    consolePublic?: boolean
  }
}

export const CONSOLE_PREFIX = '/admin'
export const CONSOLE_FILES = join(keyturnPackage().dir, 'plugins', 'console')

// No script at all, no inline style, nothing from elsewhere, never in a frame.
const PAGE_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'same-origin' },
  xFrameOptions: { action: 'deny' },
  xContentTypeOptions: true,
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
})

// Only a path inside the console may be a sign-in's destination.
export function consolePath(next: unknown): string {
  if (typeof next === 'string' && /^\/admin(\/[^\s\\]*)?$/.test(next) && !next.includes('//')) return next
  return `${CONSOLE_PREFIX}/`
}

// A console path with `done` set, so the page it leads to can say what was done.
export function afterAction(next: unknown, done: string, fallback = `${CONSOLE_PREFIX}/`): string {
  const url = new URL(consolePath(next ?? fallback), 'http://console')
  url.searchParams.set('done', done)
  return `${url.pathname}${url.search}`
}

function errorPage(err: FastifyError, request: FastifyRequest): { status: number; message: string } {
  if (err instanceof ApiError) return { status: err.statusCode, message: String(err.body.detail ?? 'Request refused.') }
  if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
    return { status: 403, message: 'CSRF token missing or incorrect. Reload the page and try again.' }
  }
  if (err.validation) return { status: 400, message: 'Some of the form was not valid. Go back and check it.' }
  if (isStoreUnavailable(err)) return { status: 503, message: 'Service temporarily unavailable, try again later.' }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) return { status, message: err.message }
  request.log.error({ err }, 'unhandled error')
  return { status: 500, message: 'A server error occurred.' }
}

export async function consoleContext(fastify: FastifyInstance): Promise<void> {
  const { adminConsole, config } = fastify
  const secure = adminConsole.cookie.secure
  await fastify.register(cookie)
  await fastify.register(csrf, {
    cookieKey: 'keyturn_csrf',
    cookieOpts: { path: CONSOLE_PREFIX, sameSite: 'strict', httpOnly: true, secure },
    // Forms only: a token in a URL would leak through logs and Referer headers.
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf,
  })
  await fastify.register(view, {
    engine: { eta: new Eta({ autoEscape: true }) },
    templates: join(CONSOLE_FILES, 'views'),
    production: config.NODE_ENV === 'production',
    defaultContext: { h: viewHelpers },
  })
  if (!fastify.hasRequestDecorator('consoleUser')) fastify.decorateRequest('consoleUser', null)

  fastify.addHook('onRequest', async (request, reply) => {
    reply.headers(PAGE_HEADERS)
    if (request.routeOptions.config.consolePublic) return
    const token = request.cookies[adminConsole.cookie.name]
    const user = token ? await adminConsole.signedIn(token) : undefined
    if (!user) {
      if (token) reply.clearCookie(adminConsole.cookie.name, { path: CONSOLE_PREFIX })
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(consolePath(request.url))}` : ''
      return reply.redirect(`${CONSOLE_PREFIX}/login${next}`, 303)
    }
    request.consoleUser = user
  })

  fastify.setErrorHandler(async (err: FastifyError, request, reply) => {
    const { status, message } = errorPage(err, request)
    if (err instanceof ApiError) reply.headers(err.headers)
    const csrfToken = request.consoleUser ? reply.generateCsrf() : ''
    return reply.code(status).view('error.eta', { status, message, me: request.consoleUser, csrf: csrfToken, path: request.url, now: Date.now() })
  })
}

// What every page's template gets: who is signed in, a CSRF token for its forms, where it is.
export function pageData(request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown> = {}) {
  return { me: request.consoleUser, csrf: reply.generateCsrf(), path: request.url.split('?')[0], now: Date.now(), ...data }
}

export function signedIn(request: FastifyRequest): ConsoleUser {
  const user = request.consoleUser
  if (!user) throw new Error('a console route ran without a signed-in user')
  return user
}
