// Graceful close. Once the close begins, idle connections are closed and the listener stops
// accepting, but a request can still reach the router on a connection that was busy (its
// bytes straddled the SIGTERM): it gets the contract's 503, which Fastify's own
// return503OnClosing (off in fastify.config.ts) would answer with a body of its own. Requests
// already in flight finish. A connection busy with a request when the close began would
// stay open after that request's answer, and hold the server open until the grace delay
// kills it: while closing, every answer says `Connection: close`, so each client is let go
// as soon as its in-flight request is answered.
import fp from 'fastify-plugin'
import { errors } from './api-error.js'

export default fp(
  async (fastify) => {
    let closing = false
    fastify.addHook('preClose', (done) => {
      closing = true
      done()
    })
    // The first onRequest hook (drain registers before anything that adds one): a request
    // refused here has read no body and touched nothing.
    fastify.addHook('onRequest', (_request, _reply, done) => {
      done(closing ? errors.storeUnavailable() : undefined)
    })
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close')
      done(null, payload)
    })
  },
  { name: 'drain' },
)
