// The `sessions` concern: a user's sessions (devices), and every way one ends on request.
import fp from 'fastify-plugin'
import { endSession, endUserSessions, type Ending, type SessionOwner } from './session-ending.js'
import { sessionPolicy, type SessionPolicy } from './session-policy.js'
import { findUserSession, listUserSessions } from './sessions-store.js'
import type { Session } from './tables.js'

export interface SessionsService {
  readonly policy: SessionPolicy
  // The user's own sessions, newest first.
  listOwn(userId: number): Promise<Session[]>
  // One of the user's own sessions; undefined for another user's, exactly as for none.
  findOwn(userId: number, id: number): Promise<Session | undefined>
  end(sessionId: number, owner: SessionOwner, ending: Ending): Promise<void>
  // Ends every live session of the owner but `keep`; returns how many it ended.
  endAll(owner: SessionOwner, ending: Ending, keep?: number): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionsService
  }
}

export default fp(
  async (fastify) => {
    const { db } = fastify
    fastify.decorate('sessions', {
      policy: sessionPolicy(fastify.config),
      listOwn: (userId) => listUserSessions(db, userId),
      findOwn: (userId, id) => findUserSession(db, userId, id),
      end: (sessionId, owner, ending) => endSession(fastify, sessionId, owner, ending),
      endAll: (owner, ending, keep) => endUserSessions(fastify, owner, ending, keep),
    } satisfies SessionsService)
  },
  { name: 'sessions', dependencies: ['db', 'revocations', 'audit', 'events', 'webhooks'] },
)
