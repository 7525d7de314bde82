// Blacklist and the logouts: each ends the session of the refresh token it is given (or, for
// logout-all, every session of the caller), with the answer of the service it replaces.
import { Type, type Static } from '@sinclair/typebox'
import { RequiredString } from './common.js'

export const BlacklistBody = Type.Object({ refresh: RequiredString() }, { title: 'BlacklistRequest' })
export type BlacklistBody = Static<typeof BlacklistBody>

export const LoggedOut = Type.Object({ detail: Type.String() }, { title: 'LoggedOut' })
export const SessionLoggedOut = Type.Object({ message: Type.String(), detail: Type.String() }, { title: 'SessionLoggedOut' })
