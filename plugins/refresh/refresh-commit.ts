// The writes of a successful refresh, all or nothing: claim the presented token (the
// conditional UPDATE that lets exactly one of N concurrent refreshes win), record its
// successor, touch the session, append the audit row.
//
// On Postgres they are one statement (data-modifying CTEs): a refresh used to hold a pooled
// connection across seven round trips (BEGIN, a read, four writes, COMMIT), and a round trip,
// not the work, was what it cost. One statement is its own transaction, and every part of it
// runs only when the claim succeeded. On SQLite the statements cost microseconds and share
// the batch's COMMIT (sqlite-group-commit.ts), so they stay a transaction of plain statements.
import { CompiledQuery } from 'kysely'
import { insertAuditEvent } from '../audit/audit-store.js'
import type { NewAuditEvent } from '../audit/tables.js'
import { compiledQuery } from '../infra/store/compiled.js'
import { isPostgres, type Executor } from '../infra/store/database.js'
import { prepareOnPostgres } from '../infra/store/pg-prepared.js'
import { touchSession } from '../sessions/sessions-store.js'
import { insertRefreshToken } from '../tokens/outstanding-tokens.js'

// The single conditional write that makes rotation atomic: of any number of concurrent
// callers, exactly one sees `true` (row locks on Postgres, one writer at a time on SQLite).
// The rotated token is blacklisted with it (SimpleJWT's BLACKLIST_AFTER_ROTATION).
const claim = compiledQuery(
  (db, jti: string, successor: string, now: number) =>
    db
      .updateTable('refresh_tokens')
      .set({ rotated_at: now, replaced_by: successor, blacklisted_at: now })
      .where('jti', '=', jti)
      .where('rotated_at', 'is', null)
      .where('blacklisted_at', 'is', null),
  3,
)

async function claimForRotation(db: Executor, jti: string, successor: string, now: number): Promise<boolean> {
  const result = await claim(db, jti, successor, now)
  return (result.numAffectedRows ?? 0n) > 0n
}


export interface RefreshWrites {
  now: number
  sessionId: number
  userId: number
  // The presented token, when it must be claimed (rotation with blacklisting).
  claimJti?: string
  // The new refresh token, when tokens rotate.
  successor?: { jti: string; expiresAt: number }
  // The audit row but what the rotation fixes itself: time, user and session.
  audit: Omit<NewAuditEvent, 'id' | 'created_at' | 'user_id' | 'session_id'>
}

// Parameters: $1 now, $2 session, $3 user, $4 client, $5 ip, $6 user agent, $7 detail,
// $8 event, $9 outcome, then as far as the variant uses them (Postgres refuses a parameter
// it cannot type): $10 successor jti, $11 its expiry, $12 the claimed jti.
function postgresStatement(claim: boolean, successor: boolean): string {
  const ctes = [
    claim
      ? `claimed as (update refresh_tokens set rotated_at = $1::bigint, replaced_by = $10, blacklisted_at = $1::bigint
           where jti = $12 and rotated_at is null and blacklisted_at is null returning 1)`
      : `claimed as (select 1)`,
    `touched as (update sessions set last_activity = $1::bigint where id = $2::bigint and exists (select 1 from claimed))`,
    `audited as (insert into audit_events (created_at, event, outcome, user_id, client_id, session_id, ip_address, user_agent, detail)
       select $1::bigint, $8, $9, $3::bigint, $4::bigint, $2::bigint, $5, $6, $7 from claimed)`,
  ]
  if (successor) {
    ctes.push(`successor as (insert into refresh_tokens (jti, session_id, user_id, issued_at, expires_at)
       select $10, $2::bigint, $3::bigint, $1::bigint, $11::bigint from claimed)`)
  }
  return `with ${ctes.join(', ')} select count(*)::int as claimed from claimed`
}

const STATEMENTS = {
  rotate: { text: postgresStatement(true, true), parameters: 12 },
  rotateKeep: { text: postgresStatement(false, true), parameters: 11 },
  touch: { text: postgresStatement(false, false), parameters: 9 },
}
for (const statement of Object.values(STATEMENTS)) prepareOnPostgres(statement.text)

// False when the claim lost (the token was rotated or blacklisted meanwhile): nothing written.
export async function commitRefresh(db: Executor, w: RefreshWrites): Promise<boolean> {
  if (isPostgres(db)) return commitOnPostgres(db, w)
  return db.transaction().execute(async (trx) => {
    if (w.claimJti !== undefined && !(await claimForRotation(trx, w.claimJti, w.successor?.jti ?? '', w.now))) return false
    if (w.successor) {
      await insertRefreshToken(trx, { jti: w.successor.jti, session_id: w.sessionId, user_id: w.userId, issued_at: w.now, expires_at: w.successor.expiresAt })
    }
    await touchSession(trx, w.sessionId, w.now)
    await insertAuditEvent(trx, { ...w.audit, user_id: w.userId, session_id: w.sessionId, created_at: w.now })
    return true
  })
}

async function commitOnPostgres(db: Executor, w: RefreshWrites): Promise<boolean> {
  if (w.claimJti !== undefined && !w.successor) throw new Error('a claimed token always has a successor')
  const statement = w.claimJti !== undefined ? STATEMENTS.rotate : w.successor ? STATEMENTS.rotateKeep : STATEMENTS.touch
  const a = w.audit
  const parameters = [
    w.now, w.sessionId, w.userId, a.client_id ?? null, a.ip_address ?? null, a.user_agent ?? null, a.detail ?? null, a.event, a.outcome,
    w.successor?.jti ?? null, w.successor?.expiresAt ?? null, w.claimJti ?? null,
  ].slice(0, statement.parameters)
  const result = await db.executeQuery<{ claimed: number }>(CompiledQuery.raw(statement.text, parameters))
  return (result.rows[0]?.claimed ?? 0) > 0
}
