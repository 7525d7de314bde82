// Keyturn's services: the store and every auth concern, in the order their dependencies need
// (each plugin names its dependencies; Fastify checks them at start). The server registers
// them beneath its HTTP machinery and routes; the `keyturn` command registers them alone, so
// both run the same store, hasher and flows.
import fp from 'fastify-plugin'
import accounts from './accounts/index.js'
import admin from './admin/index.js'
import audit from './audit/index.js'
import authenticate from './authentication/index.js'
import blacklist from './blacklist/index.js'
import adminConsole from './console/index.js'
import extensions from './extensions/index.js'
import rateLimit from './infra/rate-limit.js'
import redis from './infra/redis.js'
import db from './infra/store/index.js'
import events from './events/index.js'
import keys from './keys/index.js'
import oauth from './oauth/index.js'
import serviceAccounts from './service-accounts/index.js'
import login from './login/index.js'
import passwords from './passwords/index.js'
import profile from './profile/index.js'
import refresh from './refresh/index.js'
import revocations from './revocation/index.js'
import sessions from './sessions/index.js'
import tokens from './tokens/index.js'
import users from './users/index.js'
import verify from './verify/index.js'
import webhooks from './webhooks/index.js'
import type { StorePluginOptions } from './infra/store/index.js'

export default fp<StorePluginOptions>(
  async (fastify, opts) => {
    await fastify.register(redis)
    await fastify.register(rateLimit)
    await fastify.register(db, opts)
    // After the store, so that on close it waits for its handlers while the store is open.
    await fastify.register(events)
    await fastify.register(users)
    await fastify.register(passwords)
    await fastify.register(audit)
    await fastify.register(keys)
    await fastify.register(tokens)
    await fastify.register(revocations)
    await fastify.register(webhooks)
    await fastify.register(authenticate)
    await fastify.register(sessions)
    await fastify.register(login)
    await fastify.register(refresh)
    await fastify.register(verify)
    await fastify.register(blacklist)
    await fastify.register(profile)
    await fastify.register(accounts)
    await fastify.register(admin)
    await fastify.register(adminConsole)
    await fastify.register(serviceAccounts)
    await fastify.register(oauth)
    await fastify.register(extensions)
  },
  { name: 'keyturn-services', dependencies: ['config'] },
)
