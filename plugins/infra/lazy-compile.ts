// Route schemas compiled when a route is first used, not when it is registered. Fastify
// compiles every route's validators (ajv) and response serializers (fast-json-stringify)
// as the app starts, its HEAD twins' too, though most routes of an instance (the console,
// admin, the OAuth endpoints) may never be asked for: that was about a fifth of a start's CPU
// (ajv and fast-json-stringify about 0.5 s of 2.5 s, with the collections their code makes).
// The first request of a route pays its compile once (a few ms); a schema that cannot compile
// fails that request with the route named, where it failed the start before.

import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { ErrorObject, ValidateFunction } from 'ajv'

// What Fastify reads off an ajv validator: `errors` after a failed call, and `schemaEnv`,
// whose presence makes it pass the parent object so ajv can coerce a value at the root.
type ValidationContext = Parameters<ValidateFunction>[1]
export interface Validator {
  (data: unknown, context?: ValidationContext): boolean
  errors?: ErrorObject[] | null
  schemaEnv?: unknown
}

export function lazyValidator(compile: () => ValidateFunction, route: string): Validator {
  let compiled: ValidateFunction | undefined
  const validate = ((data: unknown, context?: ValidationContext) => {
    compiled ??= compiling(compile, route)
    // Keyturn's schemas are synchronous ($async is not used): a boolean.
    return compiled(data, context) as boolean
  }) as Validator
  Object.defineProperty(validate, 'errors', { get: () => compiled?.errors })
  // Every validator here is ajv's: Fastify hands over the parent as ajv expects.
  validate.schemaEnv = true
  return validate
}

// Fastify's own serializer factory (its default, fast-json-stringify with the shared schemas
// of each route's context), each serializer built lazily; for the server options'
// schemaController.compilersFactory.
type Route = { method: string; url: string; httpStatus: string; schema?: unknown }
type Serializer = (data: unknown) => string

export function lazySerializers(): (externalSchemas?: unknown, options?: object) => (route: Route) => Serializer {
  const eager = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = eager(externalSchemas, options)
    return (route: Route) => lazySerializer(() => compile(route), `${route.method} ${route.url} (${route.httpStatus})`)
  }
}

function lazySerializer(compile: () => Serializer, route: string): Serializer {
  let compiled: Serializer | undefined
  return (data) => {
    compiled ??= compiling(compile, route)
    return compiled(data)
  }
}

function compiling<T>(compile: () => T, route: string): T {
  try {
    return compile()
  } catch (err) {
    throw new Error(`the schema of ${route} does not compile: ${(err as Error).message}`, { cause: err })
  }
}
