// Graceful close for keep-alive clients. Fastify closes idle connections and answers new
// requests with 503 while closing, but a connection busy with a request when the close
// began would stay open after that request's answer, and hold the server open until the
// grace delay kills it. While closing, every answer says `Connection: close`, so each
// client is let go as soon as its in-flight request is answered.
import fp from 'fastify-plugin'

export default fp(
  async (fastify) => {
    let closing = false
    fastify.addHook('preClose', (done) => {
      closing = true
      done()
    })
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close')
      done(null, payload)
    })
  },
  { name: 'drain' },
)
