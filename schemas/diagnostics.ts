// Two routes clients use to check that their Bearer header is right.
import { Type, type TSchema } from '@sinclair/typebox'
import { bearerSecurity, withAuthErrors } from './common.js'

export const TestAuthResponse = Type.Object({ message: Type.String(), authenticated: Type.Boolean(), user: Type.String() })
export const ProtectedResponse = Type.Object({ message: Type.String() })

export const diagnosticSchema = <T extends TSchema>(summary: string, ok: T) => ({
  tags: ['diagnostics'],
  summary,
  security: bearerSecurity,
  response: withAuthErrors({ 200: ok }),
})
