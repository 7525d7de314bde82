// Login (obtain a token pair): POST /api/token/ and its aliases.
import { Type, type Static } from '@sinclair/typebox'
import { OptionalText, RequiredString } from './common.js'

export const LoginBody = Type.Object(
  {
    username: RequiredString({ maxLength: 254 }),
    // SimpleJWT password fields keep whitespace: a password is taken byte for byte.
    password: RequiredString({ trim: false, maxLength: 4096 }),
    login: Type.Optional(Type.String({ description: 'accepted in place of username' })),
    client_type: OptionalText(64),
    device_name: OptionalText(255),
    telegram_user_id: Type.Optional(
      Type.Union([Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()]),
    ),
    telegram_username: OptionalText(255),
  },
  { title: 'LoginRequest', description: '`username` may be the username or the email; `login` is accepted in its place.' },
)
export type LoginBody = Static<typeof LoginBody>

export const UserSummary = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
}, { title: 'UserSummary' })

export const LoginResponse = Type.Object({
  access: Type.String(),
  refresh: Type.String(),
  user_id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  client_id: Type.Union([Type.Integer(), Type.Null()]),
  client_name: Type.Union([Type.String(), Type.Null()]),
  user: UserSummary,
  session_id: Type.Integer(),
}, { title: 'LoginResponse' })
export type LoginResponse = Static<typeof LoginResponse>
