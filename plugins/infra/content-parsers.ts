// Request bodies as DRF parses them: JSON (an empty body counts as no fields, so the client
// hears which fields are required) and HTML form posts, which SimpleJWT also accepts.
import formbody from '@fastify/formbody'
import fp from 'fastify-plugin'
import secureJson from 'secure-json-parse'
import { ApiError } from './api-error.js'

// V8's messages quote a piece of the body, which may hold a password: say only where.
function describeJsonError(err: Error, text: string): string {
  if (/prototype|__proto__|constructor/i.test(err.message)) return 'Object contains forbidden prototype property'
  const match = /at position (\d+)/.exec(err.message)
  const position = match ? Number(match[1]) : /Unexpected end/i.test(err.message) ? text.length : undefined
  if (position === undefined) return 'Invalid JSON'
  const before = text.slice(0, position)
  const line = before.split('\n').length
  const column = position - before.lastIndexOf('\n')
  return `Invalid JSON: line ${line} column ${column} (char ${position})`
}

// DRF's field errors for every string field holding NUL, or undefined when there is none.
function fieldsWithNul(input: unknown, out?: Record<string, string[]>): Record<string, string[]> | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return out
  for (const key in input) {
    if (!Object.hasOwn(input, key)) continue
    const value = (input as Record<string, unknown>)[key]
    if (typeof value === 'string' && value.includes('\u0000')) (out ??= {})[key] = ['Null characters are not allowed.']
  }
  return out
}

export default fp(
  async (fastify) => {
    // DRF parses JSON, forms and multipart, not plain text: that is a 415.
    fastify.removeContentTypeParser(['application/json', 'text/plain'])
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      if (text.trim() === '') return done(null, {})
      try {
        // Prototype poisoning (`__proto__`, `constructor.prototype`) is refused outright.
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
      } catch (err) {
        done(new ApiError(400, { detail: `JSON parse error - ${describeJsonError(err as Error, text)}` }), undefined)
      }
    })
    await fastify.register(formbody)
    // A plain (not async) hook: it runs on every request and almost always passes.
    fastify.addHook('preValidation', (request, _reply, done) => {
      // A POST with no body at all is a body with no fields.
      if (request.body === undefined && request.method === 'POST') request.body = {}
      // DRF refuses NUL in every CharField; Postgres cannot store it in text at all.
      const refused = fieldsWithNul(request.query, fieldsWithNul(request.body))
      done(refused === undefined ? undefined : new ApiError(400, refused))
    })
  },
  { name: 'content-parsers' },
)
