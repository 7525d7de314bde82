// Request validation with DRF's field-error bodies. Bodies are validated without type
// coercion (a number is not a string, as in a DRF CharField with strict input), query
// strings and path params with it (they only ever arrive as text).
import { Ajv, type ErrorObject } from 'ajv'
import fp from 'fastify-plugin'
import { lazyValidator } from './lazy-compile.js'

const PY_TYPE_NAMES: Record<string, string> = { array: 'list', string: 'str', number: 'float', boolean: 'bool', object: 'dict' }

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  return PY_TYPE_NAMES[typeof value] ?? typeof value
}

function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return 'This field is required.'
    case 'type': {
      if (error.data === null) return 'This field may not be null.'
      const expected = String(params.type)
      if (expected.includes('integer')) return 'A valid integer is required.'
      if (expected.includes('number')) return 'A valid number is required.'
      if (expected.includes('boolean')) return 'Must be a valid boolean.'
      return 'Not a valid string.'
    }
    case 'minLength':
    case 'pattern':
      return 'This field may not be blank.'
    case 'maxLength':
      return `Ensure this field has no more than ${String(params.limit)} characters.`
    case 'minimum':
      return `Ensure this value is greater than or equal to ${String(params.limit)}.`
    case 'maximum':
      return `Ensure this value is less than or equal to ${String(params.limit)}.`
    default:
      return 'Invalid value.'
  }
}

// ajv errors -> {"field": ["message"]}; the first problem of each field wins, as in DRF.
export function drfFieldErrors(validation: ErrorObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const error of validation) {
    if (error.keyword === 'anyOf') continue
    if (error.instancePath === '' && error.keyword === 'type') {
      return { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyTypeName(error.data)}.`] }
    }
    const field =
      error.keyword === 'required'
        ? String((error.params as { missingProperty: string }).missingProperty)
        : error.instancePath.split('/')[1] ?? 'non_field_errors'
    if (out[field] === undefined) out[field] = [messageFor(error)]
  }
  return out
}

export default fp(
  async (fastify) => {
    const common = { allErrors: true, useDefaults: true, strict: false, verbose: true } as const
    const bodyAjv = new Ajv({ ...common, coerceTypes: false })
    const textAjv = new Ajv({ ...common, coerceTypes: 'array' })
    fastify.setValidatorCompiler(({ schema, httpPart, method, url }) =>
      lazyValidator(() => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema), `${method} ${url} (${httpPart ?? 'body'})`),
    )
  },
  { name: 'validation' },
)
