// Signing in to the admin console: the login's limits, checks and audit trail, then staff
// only. It opens a session like any login (client_type admin_console, listed and revocable
// like the others) but mints no token: the console keeps its own cookie, which `record`
// stores in the same transaction.
import type { FastifyInstance } from 'fastify'
import { recordAudit } from '../audit/audit-trail.js'
import { errors } from '../infra/api-error.js'
import type { Transaction } from '../infra/store/database.js'
import { insertSession } from '../sessions/sessions-store.js'
import { setPasswordHash, touchLastLogin, type UserWithClient } from '../users/users-store.js'
import { verifiedUser, type LoginInput } from './login-flow.js'
import type { Throttle } from './login-throttle.js'
import { sessionOpened } from './session-opened.js'

export const CONSOLE_CLIENT_TYPE = 'admin_console'

export type StaffSignInInput = Omit<LoginInput, 'device'> & { deviceName: string }
export type RecordSignIn = (trx: Transaction, sessionId: number, now: number) => Promise<void>

export async function staffSignIn(
  app: FastifyInstance,
  loginThrottle: Throttle,
  input: StaffSignInInput,
  record: RecordSignIn,
): Promise<{ user: UserWithClient; sessionId: number; expiresAt: number }> {
  const { db, passwords, config, sessions, events } = app
  const user = await verifiedUser(app, loginThrottle, { ...input, device: {} })
  const now = Date.now()
  if (user.is_staff !== 1 && user.is_superuser !== 1) {
    await recordAudit(db, input.source, { event: 'login_failed', outcome: 'failure', userId: user.id, clientId: user.client_id, detail: 'not_staff' }, now)
    events.emit('login_failed', { ...input.source, userId: user.id, clientId: user.client_id, reason: 'not_staff', backoff: false }, now)
    throw errors.permissionDenied()
  }
  const rehash = passwords.needsRehash(user.password_hash) ? await passwords.hash(input.password) : undefined
  const expiresAt = now + sessions.policy.lifetimeMs
  const { sessionId, newDevice } = await db.transaction().execute(async (trx) => {
    const { id } = await insertSession(trx, {
      user_id: user.id,
      client_id: user.client_id,
      client_type: CONSOLE_CLIENT_TYPE,
      device_name: input.deviceName,
      telegram_user_id: null,
      telegram_username: null,
      ip_address: input.source.ip,
      user_agent: input.source.userAgent,
      created_at: now,
      last_activity: now,
      expires_at: expiresAt,
      revoked_at: null,
      revoked_reason: null,
    })
    const newDevice = await sessionOpened(app, trx, { id, userId: user.id, clientId: user.client_id }, input.source, now)
    await record(trx, id, now)
    if (config.KEYTURN_UPDATE_LAST_LOGIN) await touchLastLogin(trx, user.id, now)
    if (rehash) await setPasswordHash(trx, user.id, rehash, now)
    await recordAudit(trx, input.source, { event: 'login', outcome: 'success', userId: user.id, clientId: user.client_id, sessionId: id, detail: CONSOLE_CLIENT_TYPE }, now)
    return { sessionId: id, newDevice }
  })
  if (config.KEYTURN_UPDATE_LAST_LOGIN || rehash) app.revocations.userChanged(user.id)
  events.emit('login', { ...input.source, userId: user.id, clientId: user.client_id, sessionId, clientType: CONSOLE_CLIENT_TYPE, deviceName: input.deviceName, newDevice }, now)
  return { user, sessionId, expiresAt }
}
