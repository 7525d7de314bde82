// What Keyturn promises plugin authors: `fastify.keyturn`. Everything else is internal and
// free to change; this changes only by a documented, versioned change.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthEventHandler, AuthEventType } from '../events/event-types.js'
import type { ClaimHook, ClaimOptions } from '../tokens/custom-claims.js'

export interface KeyturnSurface {
  // A preHandler (or onRequest hook): afterwards `request.user` is the authenticated user,
  // revocation checked exactly as on Keyturn's own Bearer routes; else SimpleJWT's 401.
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
  // After authenticate: staff (or superusers) only, else 403.
  requireStaff(request: FastifyRequest, reply: FastifyReply): Promise<void>
  claims: {
    // Custom claims in every token: see ClaimOptions. Reserved names are refused here.
    add(fn: ClaimHook, options?: ClaimOptions): void
  }
  events: {
    // Called once per event, after its transaction has committed; never delays a request.
    on<T extends AuthEventType>(type: T, handler: AuthEventHandler<T>): void
  }
}

// Here, beside the type, so that the package's types (index.d.ts) carry it to plugin authors.
declare module 'fastify' {
  interface FastifyInstance {
    keyturn: KeyturnSurface
  }
}
