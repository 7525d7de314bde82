// @ts-check
// A route of your own behind Keyturn's authentication: GET /api/whoami/ answers who the
// bearer of an access token is, with the tier the tenant-tier example puts in the token.
// Without a token, with a bad one, or within a second of the session's logout: SimpleJWT's 401.
// The route is in the OpenAPI document (/api/v1/schema/) with its schema.
//
//   KEYTURN_PLUGINS=./examples/plugins/tenant-tier.js,./examples/plugins/whoami-route.js npm start
import { Type } from '@sinclair/typebox'

const WhoAmI = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  client_id: Type.Union([Type.Integer(), Type.Null()]),
  session_id: Type.Integer(),
  tier: Type.Union([Type.String(), Type.Null()]),
})

/** @type {import('keyturn').KeyturnPlugin} */
export default async function whoamiRoute(fastify) {
  fastify.get(
    '/api/whoami/',
    {
      onRequest: fastify.keyturn.authenticate,
      schema: {
        tags: ['example'],
        summary: 'Who the bearer of this access token is',
        security: [{ bearerAuth: [] }],
        response: { 200: WhoAmI },
      },
    },
    async (request) => {
      // request.user.claims: the access token's verified claims, custom ones included.
      const { id, username, clientId, sessionId, claims } = request.user
      const tier = typeof claims.tier === 'string' ? claims.tier : null
      return { id, username, client_id: clientId, session_id: sessionId, tier }
    },
  )
}
