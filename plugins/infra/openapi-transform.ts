// How a route's schema becomes its operation in the OpenAPI document, where that differs from
// what @fastify/swagger does by itself. Only the document changes: the routes validate and
// serialize with their own schemas, untouched.
import type { FastifySchema, RouteOptions } from 'fastify'
import { IdParams, IdPathParams } from '../../schemas/common.js'
import { fallbackOperationId } from './openapi-operations.js'

type Schema = Record<string, unknown>
type RouteSchema = FastifySchema & { operationId?: string; hide?: boolean; response?: Record<string, unknown>; [key: string]: unknown }

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null
}

// A schema's component name is its `title` (or its $id). The routes' schemas name their
// shared pieces with a title, not an $id: the same $id twice in one response (an item in both
// the offset and the cursor page) fails fast-json-stringify. The document's copy gets the $id
// @fastify/swagger makes a component of.
function withIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withIds)
  if (!isObject(node)) return node
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withIds(value)]))
  if (typeof node.title === 'string' && node.$id === undefined) copy.$id = node.title
  return copy
}

// @fastify/swagger makes a component of a named schema only where it is nested: a body or
// response that is itself named is wrapped, so that it too is a $ref (unwrapped again by
// `unwrapNamedSchemas`). An endpoint's aliases then share its components.
function asReference(schema: unknown): unknown {
  const named = withIds(schema)
  if (!isObject(named) || typeof named.$id !== 'string') return named
  return { ...(typeof named.description === 'string' ? { description: named.description } : {}), allOf: [named] }
}

function mapValues(record: Record<string, unknown>, fn: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]))
}

export function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): {
  schema: FastifySchema
  url: string
} {
  const own = (schema ?? {}) as RouteSchema
  if (own.hide === true) return { schema, url }
  const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method)
  return {
    url,
    schema: {
      ...own,
      operationId: own.operationId ?? fallbackOperationId(method, url),
      // A row id is matched as text (a non-number is a 404, as in DRF); clients send an integer.
      ...(own.params === IdParams ? { params: IdPathParams } : {}),
      ...(own.body === undefined ? {} : { body: asReference(own.body) }),
      ...(own.response === undefined ? {} : { response: mapValues(own.response, asReference) }),
    } as FastifySchema,
  }
}

// `{ allOf: [{ $ref }] }` (with at most a description beside it) -> `{ $ref }`, everywhere.
export function unwrapNamedSchemas<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => unwrapNamedSchemas(n)) as T
  if (!isObject(node)) return node
  const { allOf, ...rest } = node
  const only = Array.isArray(allOf) && allOf.length === 1 ? allOf[0] : undefined
  if (isObject(only) && typeof only.$ref === 'string' && Object.keys(only).length === 1 && Object.keys(rest).every((k) => k === 'description')) {
    return { $ref: only.$ref } as T
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, unwrapNamedSchemas(value)])) as T
}
