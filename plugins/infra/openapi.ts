// The OpenAPI 3 document, built by @fastify/swagger from the routes' TypeBox schemas, and
// two readers of it: Swagger UI and ReDoc. ReDoc comes from its npm package, so the page
// works without reaching any CDN. The document is for client generators too: every
// operation has an operationId, named schemas (a title or an $id) are components under that
// name, and it lints clean with Redocly's recommended rules (redocly.yaml,
// test/plugins/infra/openapi-client.test.ts).
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { documentRoute, unwrapNamedSchemas } from './openapi-transform.js'

const SCHEMA_PREFIX = '/api/v1/schema'

const redocPage = `<!DOCTYPE html>
<html>
  <head>
    <title>Keyturn API</title>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="${SCHEMA_PREFIX}/"></redoc>
    <script src="${SCHEMA_PREFIX}/redoc/redoc.standalone.js"></script>
  </body>
</html>
`

export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
      // A named schema's component is called by its $id (the default is def-0, def-1, ...);
      // documentRoute gives a titled schema its title as $id.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
      transform: documentRoute,
      transformObject: (document) => unwrapNamedSchemas('openapiObject' in document ? document.openapiObject : document.swaggerObject),
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Keyturn',
          description: "JWT authentication service speaking Django REST Framework SimpleJWT's wire protocol.",
          version: '0.1.0',
          license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
        },
        // The paths are relative to wherever the service is reached.
        servers: [{ url: '/' }],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            clientBasic: { type: 'http', scheme: 'basic', description: "a service account's client_id and client_secret" },
          },
        },
        tags: [
          { name: 'token', description: 'Obtain, refresh, verify and blacklist tokens' },
          { name: 'oauth', description: "Service accounts' OAuth 2.0 endpoints: client credentials, introspection, revocation" },
          { name: 'logout', description: 'End sessions' },
          { name: 'sessions', description: "The caller's sessions (devices)" },
          { name: 'users', description: 'Users of the caller\'s client (staff)' },
          { name: 'admin', description: 'Session administration (staff)' },
          { name: 'health', description: 'Liveness and readiness probes' },
          { name: 'keys', description: 'Public keys for verifying tokens offline' },
          { name: 'profile', description: 'The authenticated user' },
          { name: 'diagnostics', description: 'Check authentication' },
        ],
      },
    })
    await fastify.register(swaggerUi, {
      routePrefix: `${SCHEMA_PREFIX}/swagger-ui`,
      uiConfig: { persistAuthorization: true, url: `${SCHEMA_PREFIX}/` },
    })

    const hide = { schema: { hide: true } }
    fastify.get(`${SCHEMA_PREFIX}/`, hide, async () => fastify.swagger())

    const redocBundle = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js')
    let redocJs: Buffer | undefined
    fastify.get(`${SCHEMA_PREFIX}/redoc/`, hide, async (_request, reply) => reply.type('text/html; charset=utf-8').send(redocPage))
    fastify.get(`${SCHEMA_PREFIX}/redoc/redoc.standalone.js`, hide, async (_request, reply) => {
      redocJs ??= await readFile(redocBundle)
      return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redocJs)
    })
  },
  { name: 'openapi' },
)
