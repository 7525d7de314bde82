// The framework's ceiling, B: the same Fastify, one POST route with the same JSON body
// schema as verify, no crypto, no store. Prints its port on stdout when listening.
import Fastify from 'fastify'
import { VerifyBody } from '../schemas/verify.js'

const app = Fastify({ logger: false })
app.post('/api/token/verify/', { schema: { body: VerifyBody, response: { 200: { type: 'object', properties: {} } } } }, async () => ({}))
const address = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${new URL(address).port}\n`)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
