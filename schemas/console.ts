// The admin console's forms and query strings (HTML pages: kept out of the OpenAPI document).
import { Type, type Static } from '@sinclair/typebox'
import { AUDIT_EVENTS, AUDIT_OUTCOMES } from './audit.js'

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const Choice = <T extends string>(values: readonly T[]) => Type.Optional(Type.Union([Type.Literal(''), ...values.map((v) => Type.Literal(v))]))

// Every form posts its CSRF token (optional here: a missing one is the CSRF check's to refuse,
// with its 403); `next` is where to go back to (checked: console paths only).
export const ConsoleForm = Type.Object({ _csrf: Text(200), next: Text(2000) })

export const SignInForm = Type.Composite([
  ConsoleForm,
  Type.Object({ username: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 4096 }) }),
])
export type SignInForm = Static<typeof SignInForm>

export const SignInQuery = Type.Object({ next: Text(2000) })

export const SessionsQuery = Type.Object({
  q: Text(200),
  client_type: Text(64),
  is_active: Choice(['true', 'false'] as const),
  cursor: Text(200),
  done: Text(32),
})
export type SessionsQuery = Static<typeof SessionsQuery>

export const UsersQuery = Type.Object({ q: Text(200), cursor: Text(200), done: Text(32) })

export const NewUserForm = Type.Composite([
  ConsoleForm,
  Type.Object({
    username: Type.String({ maxLength: 150 }),
    email: Text(254),
    password: Type.String({ maxLength: 4096 }),
    client_id: Text(20),
    is_staff: Choice(['on'] as const),
  }),
])
export type NewUserForm = Static<typeof NewUserForm>

export const ActiveForm = Type.Composite([ConsoleForm, Type.Object({ active: Type.Union([Type.Literal('true'), Type.Literal('false')]) })])
// A datetime-local value, read as UTC; empty: the account never expires.
export const ExpiryForm = Type.Composite([ConsoleForm, Type.Object({ expires: Text(40) })])

export const AuditPageQuery = Type.Object({
  event: Choice(AUDIT_EVENTS),
  outcome: Choice(AUDIT_OUTCOMES),
  user_id: Text(20),
  session_id: Text(20),
  ip_address: Text(64),
  // datetime-local values, read as UTC.
  since: Text(40),
  until: Text(40),
  offset: Text(12),
})
export type AuditPageQuery = Static<typeof AuditPageQuery>

export const NewClientForm = Type.Composite([ConsoleForm, Type.Object({ name: Type.String({ maxLength: 150 }) })])

export const PageIdParams = Type.Object({ id: Type.String({ maxLength: 30 }) })
