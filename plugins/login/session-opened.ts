// What every sign-in does inside the transaction that opened a session: tells whether the
// user has signed in from this address and user agent before (a new device is worth a look),
// and stages the session.created webhook event.
import type { FastifyInstance } from 'fastify'
import type { AuditSource } from '../audit/audit-trail.js'
import type { Executor } from '../infra/store/database.js'

// Whether another session of this user came from the same address and user agent.
async function seenBefore(db: Executor, userId: number, sessionId: number, source: AuditSource): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('id', '<>', sessionId)
    .where('ip_address', source.ip === null ? 'is' : '=', source.ip)
    .where('user_agent', source.userAgent === null ? 'is' : '=', source.userAgent)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

// Returns whether the session is from a new device.
export async function sessionOpened(
  app: FastifyInstance,
  trx: Executor,
  session: { id: number; userId: number; clientId: number | null },
  source: AuditSource,
  now: number,
): Promise<boolean> {
  const newDevice = !(await seenBefore(trx, session.userId, session.id, source))
  await app.webhooks.stage(trx, { type: 'session.created', userId: session.userId, clientId: session.clientId, sessionId: session.id, extra: { new_device: newDevice } }, now)
  return newDevice
}
