// Two routes clients use to check that their Bearer header is right.
import { Type, type TSchema } from '@sinclair/typebox'
import { bearerSecurity, withAuthErrors } from './common.js'

export const TestAuthResponse = Type.Object({ message: Type.String(), authenticated: Type.Boolean(), user: Type.String() }, { title: 'TestAuthResponse' })
export const ProtectedResponse = Type.Object({ message: Type.String() }, { title: 'ProtectedResponse' })

export const diagnosticSchema = <T extends TSchema>(operationId: string, summary: string, ok: T) => ({
  operationId,
  tags: ['diagnostics'],
  summary,
  security: bearerSecurity,
  response: withAuthErrors({ 200: ok }),
})
