// Keyturn as a package: `import { app, buildApp, loadConfig } from 'keyturn'`. This file is
// the whole public surface for code that embeds Keyturn or extends it; the rest is internal.
export { app, buildApp, type AppOptions } from './app.js'
export { loadConfig, serverOptions, type KeyturnConfig } from './fastify.config.js'
export type { AuthenticatedUser } from './plugins/authentication/index.js'
export type { AuthEvent, AuthEventHandler, AuthEvents, AuthEventType, EventSource, SessionEndReason } from './plugins/events/event-types.js'
export type { KeyturnPlugin } from './plugins/extensions/load-plugins.js'
export type { KeyturnSurface } from './plugins/extensions/public-surface.js'
export { RESERVED_CLAIM_NAMES, type ClaimContext, type ClaimHook, type ClaimOptions, type CustomClaims } from './plugins/tokens/custom-claims.js'
