// Response headers for an API: helmet's defaults (nosniff, frame denial, referrer policy,
// no X-Powered-By style leaks), and CORS only for the origins KEYTURN_CORS_ORIGINS names.
// helmet's content security policy is off: the answers are JSON, and the docs pages
// (Swagger UI, ReDoc) need inline styles and workers that a strict policy would block.
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

export function corsOrigins(value: string): string[] | '*' | undefined {
  const v = value.trim()
  if (v === '') return undefined
  if (v === '*') return '*'
  return v.split(',').map((o) => o.trim()).filter(Boolean)
}

export default fp(
  async (fastify) => {
    await fastify.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false })
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
