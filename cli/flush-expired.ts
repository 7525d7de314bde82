// What `keyturn flushexpiredtokens` does, imported when it runs (flushexpiredtokens.ts reads its
// command line without loading the stores).
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { isPostgres, type Database, type Executor } from '../plugins/infra/store/database.js'
import { deleteAuditEventsBefore } from '../plugins/audit/audit-store.js'
import { deleteRevocationsBefore } from '../plugins/revocation/revocation-log.js'
import { deleteExpiredSessions } from '../plugins/sessions/sessions-store.js'
import { deleteExpiredRefreshTokens } from '../plugins/tokens/outstanding-tokens.js'
import { deleteFinishedEventsBefore } from '../plugins/webhooks/deliveries-store.js'
import { sqlitePath } from '../plugins/infra/store/connect.js'
import { reclaimSqliteSpace } from '../plugins/infra/store/sqlite-space.js'
import { MIN_PAUSE_SQLITE_MS, pacedDrain } from './paced-drain.js'

export async function flushExpired({ db, config, revocations }: FastifyInstance, options: { vacuum?: boolean }): Promise<void> {
  const now = Date.now()
  let longestMs = 0
  let longestCommitMs = 0
  // Runs a batched delete until nothing is left; returns how many rows it removed.
  const drain = async (step: (db: Executor, batch: number) => Promise<number>, db: Kysely<Database>): Promise<number> => {
    const report = await pacedDrain(step, db, { minPauseMs: isPostgres(db) ? 0 : MIN_PAUSE_SQLITE_MS })
    longestMs = Math.max(longestMs, report.longestMs)
    longestCommitMs = Math.max(longestCommitMs, report.longestCommitMs)
    return report.rows
  }
  // Tokens before sessions: a token ends no later than its session, so this pass takes the
  // expired sessions' tokens too, in paced batches. Sessions first, their tokens went by
  // cascade, and the token pass began with a statement that had a million dead rows to
  // step over (on Postgres they stay until a vacuum) and found none: 1.8 s, with refresh
  // p99 at 247 ms meanwhile.
  const tokens = await drain((d, batch) => deleteExpiredRefreshTokens(d, now, batch), db)
  const sessions = await drain((d, batch) => deleteExpiredSessions(d, now, batch), db)
  // Revocation entries matter only while an access token of theirs may be alive; a
  // minute more covers instances that poll the log late.
  const revocationEntries = await drain((d, batch) => deleteRevocationsBefore(d, now - revocations.state.retentionMs - 60_000, batch), db)
  const retention = config.KEYTURN_AUDIT_RETENTION
  const audit = retention > 0 ? await drain((d, batch) => deleteAuditEventsBefore(d, now - retention, batch), db) : 0
  // The webhook delivery log is kept as long as the audit trail; nothing still to deliver goes.
  const webhookEvents = retention > 0 ? await drain((d, batch) => deleteFinishedEventsBefore(d, now - retention, batch), db) : 0
  console.log(
    `deleted ${sessions} expired session(s), ${tokens} expired refresh token(s), ${revocationEntries} old revocation entr${revocationEntries === 1 ? 'y' : 'ies'}, ${audit} old audit event(s) and ${webhookEvents} old webhook event(s)`,
  )
  console.log(`the longest batch took ${Math.round(longestMs)} ms, the longest commit after one ${Math.round(longestCommitMs)} ms`)
  const url = config.KEYTURN_DATABASE_URL
  if (url.startsWith('sqlite:') && sqlitePath(url) !== ':memory:') {
    const space = await reclaimSqliteSpace(sqlitePath(url), { vacuum: options.vacuum === true, busyTimeoutMs: config.KEYTURN_SQLITE_BUSY_TIMEOUT_MS })
    const mb = (pages: number) => ((pages * space.pageSize) / 2 ** 20).toFixed(1)
    console.log(`gave ${mb(space.freedPages)} MB back to the disk${space.mode === 'incremental' && space.freedPages > 0 ? `, its longest step took ${Math.round(space.longestStepMs)} ms` : ''}`)
    if (space.freePagesLeft > 0 && space.mode !== 'incremental') {
      console.log(`${mb(space.freePagesLeft)} MB free inside the file, which was made before Keyturn shrank files: run with --vacuum once, in a quiet moment`)
    }
  }
}
