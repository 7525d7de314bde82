// One error handler for the whole app: the contract's bodies for everything a client can
// cause, 503 for a store outage, and a bare 500 (details only in the log) for our bugs.
// Also the 404/405 answers, which need to know every route that exists.
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import Router, { type HTTPMethod } from 'find-my-way'
import { ApiError, errors } from './api-error.js'
import { isInvalidData, isStoreUnavailable } from './store/store-errors.js'
import { drfFieldErrors } from './validation.js'

const FASTIFY_CLIENT_ERRORS: Record<string, (err: FastifyError, req: FastifyRequest) => [number, object]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => [413, { detail: 'Request body is too large.' }],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, req) => [
    415,
    { detail: `Unsupported media type "${String(req.headers['content-type'] ?? '').slice(0, 100)}" in request.` },
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => [400, { detail: 'Request body length does not match Content-Length.' }],
}

export default fp(
  async (fastify) => {
    const wwwAuthenticate = `${fastify.config.KEYTURN_AUTH_HEADER_TYPES[0] ?? 'Bearer'} realm="api"`

    function send(reply: FastifyReply, status: number, body: object, headers: Record<string, string> = {}) {
      if (status === 401) reply.header('www-authenticate', wwwAuthenticate)
      return reply.code(status).headers(headers).send(body)
    }

    fastify.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof ApiError) return send(reply, err.statusCode, err.body, err.headers)
      if (err.validation) {
        return send(reply, 400, drfFieldErrors(err.validation as Parameters<typeof drfFieldErrors>[0]))
      }
      const known = err.code ? FASTIFY_CLIENT_ERRORS[err.code] : undefined
      if (known) {
        const [status, body] = known(err, request)
        return send(reply, status, body)
      }
      if (isStoreUnavailable(err)) {
        request.log.warn({ code: err.code }, 'store unavailable')
        const unavailable = errors.storeUnavailable()
        return send(reply, 503, unavailable.body, unavailable.headers)
      }
      if (isInvalidData(err)) {
        request.log.info({ code: err.code }, 'store refused input')
        return send(reply, 400, { detail: 'Invalid input.' })
      }
      const status = err.statusCode ?? 500
      if (status >= 400 && status < 500) {
        // Fastify's own client errors (a bad URL, a bad header); their text is safe.
        return send(reply, status, { detail: err.message })
      }
      request.log.error({ err }, 'unhandled error')
      return send(reply, 500, { detail: 'A server error occurred.' })
    })

    // A mirror of every route, so an unknown method on a known path answers 405.
    const routes = Router({ ignoreTrailingSlash: true })
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      for (const method of methods) {
        try {
          routes.on(method as HTTPMethod, route.url ?? route.path, () => {})
        } catch {
          // already mirrored (the same path registered again, e.g. HEAD beside GET)
        }
      }
    })

    const notFound = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '/'
      const allowed = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const).filter(
        (m) => m !== request.method && routes.find(m, path) !== null,
      )
      if (allowed.length > 0) {
        return send(reply, 405, { detail: `Method "${request.method.slice(0, 20)}" not allowed.` }, { allow: allowed.join(', ') })
      }
      return send(reply, 404, { detail: 'Not found.' })
    }
    try {
      fastify.setNotFoundHandler(notFound)
    } catch {
      // Embedded without a prefix in a server that has a not-found handler of its own: its
      // answers stay the server's (Fastify keeps one per prefix).
      fastify.log.debug('keyturn: the server answers unknown URLs itself')
    }
  },
  { name: 'errors', dependencies: ['config'] },
)
