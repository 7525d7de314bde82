// /admin/login: the console's sign-in form. Staff and superusers only; the attempt counts
// toward the API login's per-IP limit, per-account backoff and audit trail.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sourceOf } from '../../../plugins/audit/audit-trail.js'
import { CONSOLE_PREFIX, consolePath } from '../../../plugins/console/console-context.js'
import { ApiError } from '../../../plugins/infra/api-error.js'
import { SignInForm, SignInQuery } from '../../../schemas/console.js'

const signIn: FastifyPluginAsyncTypebox = async (fastify) => {
  const { adminConsole, login } = fastify
  const page = { consolePublic: true }

  fastify.get('/', { config: page, schema: { hide: true, querystring: SignInQuery } }, async (request, reply) => {
    const token = request.cookies[adminConsole.cookie.name]
    if (token && (await adminConsole.signedIn(token))) return reply.redirect(consolePath(request.query.next), 303)
    return reply.view('login.eta', { title: 'Sign in', me: null, csrf: reply.generateCsrf(), next: consolePath(request.query.next), error: null, username: '' })
  })

  fastify.post(
    '/',
    { config: page, onRequest: login.rateLimit, preHandler: fastify.csrfProtection, schema: { hide: true, body: SignInForm } },
    async (request, reply) => {
      const { username, password, next } = request.body
      try {
        const { token } = await adminConsole.signIn({ login: username, password, source: sourceOf(request) })
        reply.setCookie(adminConsole.cookie.name, token, {
          path: CONSOLE_PREFIX,
          httpOnly: true,
          sameSite: 'strict',
          secure: adminConsole.cookie.secure,
        })
        return reply.redirect(consolePath(next), 303)
      } catch (err) {
        // Wrong credentials, not staff, or throttled: the form again, with the contract's words.
        if (!(err instanceof ApiError) || ![401, 403, 429].includes(err.statusCode)) throw err
        reply.code(err.statusCode).headers(err.headers)
        const error = String(err.body.detail)
        return reply.view('login.eta', { title: 'Sign in', me: null, csrf: reply.generateCsrf(), next: consolePath(next), error, username })
      }
    },
  )
}

export default signIn
