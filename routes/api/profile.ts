import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../auth/errors.js'
import { toProfile } from '../../auth/profile.js'
import { bearerSecurity, withAuthErrors } from '../../schemas/common.js'
import { Profile } from '../../schemas/profile.js'

export const PROFILE_PATHS = ['/user/', '/users/auth/me/', '/v1/auth/users/me/']

const profile: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of PROFILE_PATHS) {
    fastify.get(
      url,
      {
        onRequest: fastify.authenticate,
        schema: {
          tags: ['profile'],
          summary: "The caller's profile",
          security: bearerSecurity,
          response: withAuthErrors({ 200: Profile }),
        },
      },
      async (request) => {
        // From the user state authenticate has just loaded: no store round trip.
        const user = await fastify.revocations.loadUser(request.user.id)
        if (!user) throw errors.userNotFound()
        return toProfile(user, Date.now())
      },
    )
  }
}

export default profile
