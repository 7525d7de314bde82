// Login: one argon2 verify whatever the outcome (unknown user, wrong password, inactive,
// expired all cost the same and answer the same), then one transaction that opens the
// session and records its first refresh token.
import type { FastifyInstance } from 'fastify'
import type { LoginResponse } from '../../schemas/login.js'
import { recordAudit, type AuditSource } from '../audit/audit-trail.js'
import { errors, unauthorized } from '../infra/api-error.js'
import { insertSession } from '../sessions/sessions-store.js'
import { insertRefreshToken } from '../tokens/outstanding-tokens.js'
import { findUserByLogin, isAccountExpired, setPasswordHash, touchLastLogin, type UserWithClient } from '../users/users-store.js'
import { claimClient, claimUser } from '../tokens/custom-claims.js'
import type { Throttle } from './login-throttle.js'
import { sessionOpened } from './session-opened.js'

// The same answer for a wrong password, an unknown user, an inactive user and an expired account.
const noActiveAccount = () => unauthorized({ detail: 'No active account found with the given credentials' })

export interface LoginInput {
  login: string
  password: string
  device: {
    client_type?: string | null
    device_name?: string | null
    telegram_user_id?: number | null
    telegram_username?: string | null
  }
  source: AuditSource
}

// What every sign-in shares: the account backoff, one argon2 verify whatever the outcome,
// and the failure's audit row and event. Returns the user, active and unexpired.
export async function verifiedUser(app: FastifyInstance, loginThrottle: Throttle, input: LoginInput): Promise<UserWithClient> {
  const { db, passwords, events } = app
  // A throttled account is refused before any hashing: guessing costs the guesser, not us.
  // A let-through attempt is counted now, as a failure until it succeeds.
  const { wait, armsBackoff } = await loginThrottle.attempt(input.login, Date.now())
  if (wait > 0) {
    app.audit.rateLimited(input.source, 'login_backoff')
    throw errors.throttled(wait)
  }
  const user = await findUserByLogin(db, input.login.trim())
  const passwordOk = await passwords.verify(user?.password_hash, input.password)
  const now = Date.now()
  if (!user || !passwordOk || user.is_active !== 1 || isAccountExpired(user, now)) {
    // The same write whatever the reason, so the answer's timing tells nothing either.
    const reason = !user || !passwordOk ? 'invalid_credentials' : user.is_active !== 1 ? 'inactive' : 'expired'
    await recordAudit(db, input.source, { event: 'login_failed', outcome: 'failure', userId: user?.id, clientId: user?.client_id, detail: reason }, now)
    // A known account's failure is a webhook event too (never an unknown name: people type
    // their password there), staged once the answer has gone: written before it, the extra
    // writes would make a known account's failure slower than an unknown name's.
    if (user && app.webhooks.wants('login.failed', user.client_id)) {
      const event = { type: 'login.failed', userId: user.id, clientId: user.client_id, source: input.source, extra: { reason, backoff: armsBackoff } } as const
      setImmediate(() => {
        db.transaction()
          .execute((trx) => app.webhooks.stage(trx, event, now))
          .catch((err: unknown) => app.log.warn({ err: (err as Error).message, userId: user.id }, 'the login.failed webhook event could not be staged'))
      })
    }
    events.emit('login_failed', { ...input.source, userId: user?.id ?? null, clientId: user?.client_id ?? null, reason, backoff: armsBackoff }, now)
    throw noActiveAccount()
  }
  await loginThrottle.succeeded(input.login)
  return user
}

export async function login(app: FastifyInstance, loginThrottle: Throttle, input: LoginInput): Promise<LoginResponse> {
  const { db, passwords, tokens, config, sessions, events } = app
  const user = await verifiedUser(app, loginThrottle, input)
  const now = Date.now()

  const rehash = passwords.needsRehash(user.password_hash) ? await passwords.hash(input.password) : undefined
  const device = { clientType: input.device.client_type ?? null, deviceName: input.device.device_name ?? null }
  const sessionEnd = now + sessions.policy.lifetimeMs
  // Plugins' claims, before anything is written: a hook that throws leaves no trace.
  const custom = tokens.claims.any
    ? await tokens.claims.pair({
        user: claimUser(user),
        session: { id: null, clientType: device.clientType, deviceName: device.deviceName, ipAddress: input.source.ip, userAgent: input.source.userAgent },
        client: claimClient(user),
        grant: 'login',
      })
    : undefined

  const { session, access, refresh, newDevice } = await db.transaction().execute(async (trx) => {
    const session = await insertSession(trx, {
      user_id: user.id,
      client_id: user.client_id,
      client_type: device.clientType,
      device_name: device.deviceName,
      telegram_user_id: input.device.telegram_user_id ?? null,
      telegram_username: input.device.telegram_username ?? null,
      ip_address: input.source.ip,
      user_agent: input.source.userAgent,
      created_at: now,
      last_activity: now,
      expires_at: sessionEnd,
      revoked_at: null,
      revoked_reason: null,
    })
    const subject = { userId: user.id, clientId: user.client_id, sessionId: session.id }
    const newDevice = await sessionOpened(app, trx, { id: session.id, ...subject }, input.source, now)
    const refresh = tokens.issue('refresh', subject, now, sessionEnd, custom?.refresh)
    const access = tokens.issue('access', subject, now, sessionEnd, custom?.access)
    await insertRefreshToken(trx, {
      jti: refresh.jti,
      session_id: session.id,
      user_id: user.id,
      issued_at: now,
      expires_at: refresh.expiresAt,
    })
    // Either update changes the profile every instance keeps in memory; the users trigger
    // writes the revocation log entry that tells the other instances.
    if (config.KEYTURN_UPDATE_LAST_LOGIN) await touchLastLogin(trx, user.id, now)
    if (rehash) await setPasswordHash(trx, user.id, rehash, now)
    await recordAudit(trx, input.source, { event: 'login', outcome: 'success', userId: user.id, clientId: user.client_id, sessionId: session.id }, now)
    return { session, access, refresh, newDevice }
  })

  if (config.KEYTURN_UPDATE_LAST_LOGIN || rehash) app.revocations.userChanged(user.id)
  events.emit('login', { ...input.source, userId: user.id, clientId: user.client_id, sessionId: session.id, ...device, newDevice }, now)
  const email = user.email ?? ''
  return {
    access: access.token,
    refresh: refresh.token,
    user_id: user.id,
    username: user.username,
    email,
    client_id: user.client_id,
    client_name: user.client_name,
    user: { id: user.id, username: user.username, email, first_name: user.first_name, last_name: user.last_name },
    session_id: session.id,
  }
}
