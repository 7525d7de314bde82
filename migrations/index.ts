// The list of migrations, by name. Names are dated so they sort in the order they were
// written; a migration is never edited once released, only followed by a newer one.
import type { Migration } from 'kysely'
import * as initialSchema from './2026-11-22T00-initial-schema.js'
import * as rotationGrace from './2026-11-22T01-rotation-grace.js'
import * as auditEvents from './2026-11-23T00-audit-events.js'
import * as userChangeRevocations from './2026-11-24T00-user-change-revocations.js'
import * as clientAndNewUserRevocations from './2026-11-24T01-client-and-new-user-revocations.js'
import * as signingKeys from './2026-11-30T00-signing-keys.js'
import * as serviceAccounts from './2026-11-30T01-service-accounts.js'
import * as adminListings from './2026-11-30T02-admin-listings.js'
import * as consoleSessions from './2026-11-30T03-console-sessions.js'
import * as webhooks from './2026-11-30T04-webhooks.js'
import * as revocationNotices from './2026-12-03T00-revocation-notices.js'

export const migrations: Record<string, Migration> = {
  '2026-11-22T00-initial-schema': initialSchema,
  '2026-11-22T01-rotation-grace': rotationGrace,
  '2026-11-23T00-audit-events': auditEvents,
  '2026-11-24T00-user-change-revocations': userChangeRevocations,
  '2026-11-24T01-client-and-new-user-revocations': clientAndNewUserRevocations,
  '2026-11-30T00-signing-keys': signingKeys,
  '2026-11-30T01-service-accounts': serviceAccounts,
  '2026-11-30T02-admin-listings': adminListings,
  '2026-11-30T03-console-sessions': consoleSessions,
  '2026-11-30T04-webhooks': webhooks,
  '2026-12-03T00-revocation-notices': revocationNotices,
}
