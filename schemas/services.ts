// Service accounts as staff see them: /api/v1/admin/services/.
import { Type } from '@sinclair/typebox'
import { IsoTime, NullableInt } from './common.js'

const Scopes = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100, description: 'OAuth scopes the account may ask for' })

export const ServiceView = Type.Object({
  id: Type.Integer(),
  client_id: Type.String({ description: "the OAuth client_id (svc_...); the tenant is tenant_id" }),
  name: Type.String(),
  tenant_id: NullableInt,
  scopes: Scopes,
  is_active: Type.Boolean(),
  created_at: IsoTime,
  updated_at: IsoTime,
  previous_secret_expires_at: Type.Union([IsoTime, Type.Null()], { description: 'until when the secret before the last rotation still works' }),
}, { title: 'ServiceAccount' })

export const ServiceCreated = Type.Intersect([ServiceView, Type.Object({ client_secret: Type.String({ description: 'shown once; only its hash is kept' }) })], { title: 'ServiceAccountWithSecret' })

export const NewService = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 150 }),
  scopes: Type.Optional(Scopes),
  tenant_id: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "superusers: the tenant (default none); staff: their own only" })),
}, { title: 'NewServiceAccount' })

export const ServiceChanges = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 150 })),
  scopes: Type.Optional(Scopes),
  is_active: Type.Optional(Type.Boolean()),
}, { title: 'ServiceAccountChanges' })

export const RotateSecret = Type.Object({
  overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'how long the old secret keeps working' })),
}, { title: 'RotateSecretRequest' })
