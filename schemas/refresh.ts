// Refresh: POST /api/token/refresh/ and its aliases.
import { Type, type Static } from '@sinclair/typebox'
import { RequiredString } from './common.js'

export const RefreshBody = Type.Object({ refresh: RequiredString() }, { title: 'RefreshRequest' })
export type RefreshBody = Static<typeof RefreshBody>

export const RefreshResponse = Type.Object({
  access: Type.String(),
  refresh: Type.Optional(Type.String({ description: 'present when rotation is on' })),
}, { title: 'RefreshResponse' })
export type RefreshResponse = Static<typeof RefreshResponse>
