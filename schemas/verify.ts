// Verify: POST /api/token/verify/ and its aliases.
import { Type, type Static } from '@sinclair/typebox'
import { RequiredString } from './common.js'

export const VerifyBody = Type.Object({ token: RequiredString() }, { title: 'VerifyRequest' })
export type VerifyBody = Static<typeof VerifyBody>
