// The `profile` concern: the caller's own profile, from the user state authentication has
// just loaded (no store round trip).
import fp from 'fastify-plugin'
import type { Profile } from '../../schemas/profile.js'
import { authErrors } from '../authentication/index.js'
import { toProfile } from './profile-view.js'

export interface ProfileService {
  of(userId: number): Promise<Profile>
}

declare module 'fastify' {
  interface FastifyInstance {
    profile: ProfileService
  }
}

export default fp(
  async (fastify) => {
    const { revocations } = fastify
    fastify.decorate('profile', {
      async of(userId) {
        const user = await revocations.loadUser(userId)
        if (!user) throw authErrors.userNotFound()
        return toProfile(user, Date.now())
      },
    } satisfies ProfileService)
  },
  { name: 'profile', dependencies: ['revocations', 'authenticate'] },
)
