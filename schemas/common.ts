// Shared response pieces: the error bodies of the contract, and helpers that attach them to
// a route's response map so every status a route can send is declared.
import { Type, type Static, type TInteger, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox'

export const Detail = Type.Object({ detail: Type.String() }, { $id: 'Detail' })

export const DetailWithCode = Type.Object({ detail: Type.String(), code: Type.String() }, { $id: 'DetailWithCode' })

export const FieldErrors = Type.Record(Type.String(), Type.Array(Type.String()), {
  $id: 'FieldErrors',
  description: 'DRF-shaped field errors, e.g. {"username": ["This field is required."]}, or {"detail": "JSON parse error - ..."}',
})

// 400 can be field errors or a parse error; both are objects of strings/arrays.
export const BadRequest = Type.Union([FieldErrors, Detail], { title: 'BadRequest', description: 'Invalid input' })

export const TokenErrorBody = Type.Object(
  {
    detail: Type.String({ examples: ['Token is invalid or expired'] }),
    code: Type.Optional(Type.String({ examples: ['token_not_valid'] })),
    messages: Type.Optional(
      Type.Array(
        Type.Object({ token_class: Type.String(), token_type: Type.String(), message: Type.String() }),
      ),
    ),
  },
  { $id: 'AuthError', description: 'Authentication failed (SimpleJWT body)' },
)

export const ServiceUnavailable = Type.Object(
  { detail: Type.String(), code: Type.Literal('service_unavailable') },
  { title: 'ServiceUnavailable', description: 'The store is unreachable; nothing was changed' },
)

export const Empty = Type.Object({}, { title: 'Empty', additionalProperties: false })

export const IsoTime = Type.String({ format: 'date-time' })
export const NullableText = Type.Union([Type.String(), Type.Null()])
export const NullableInt = Type.Union([Type.Integer(), Type.Null()])

// Every route can answer these, whatever it does.
const common = {
  400: BadRequest,
  413: Detail,
  415: Detail,
  503: ServiceUnavailable,
}

export function withErrors<R extends Record<number, TSchema>>(responses: R) {
  return { ...common, ...responses }
}

export function withAuthErrors<R extends Record<number, TSchema>>(responses: R) {
  return { ...common, 401: TokenErrorBody, ...responses }
}

export const bearerSecurity = [{ bearerAuth: [] as string[] }]
// A route anyone may call (the document would otherwise leave its security undeclared).
export const publicSecurity: Array<Record<string, string[]>> = []

// A DRF CharField that does not accept blank strings; `trim` mirrors trim_whitespace.
export const RequiredString = (opts: { trim?: boolean; maxLength?: number } = {}) =>
  Type.String({ minLength: 1, ...(opts.trim === false ? {} : { pattern: '\\S' }), ...(opts.maxLength ? { maxLength: opts.maxLength } : {}) })

export const OptionalText = (maxLength: number) => Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()]))

// DRF's LimitOffsetPagination: the query and the page.
export const Pagination = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
})

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
    results: Type.Array(item),
  })

// DRF's CursorPagination: ?cursor= (empty for the first page) instead of ?offset=.
export const CursorParam = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'keyset pagination: empty for the first page, then the cursor of a next or previous link; no count, and every page as fast as the first' })),
})

export const CursorPageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
    results: Type.Array(item),
  })

// Either page: offset (with a count) or cursor.
export const AnyPage = <T extends TSchema>(item: T) => Type.Union([Page(item), CursorPageOf(item)])

// A row's id in a path. DRF routers match any segment; a non-numeric id is simply not found.
export const IdParams = Type.Object({ id: Type.String({ maxLength: 30 }) })
// IdParams as the OpenAPI document gives it to clients, who send an integer (validating it as
// one would answer 400 for a non-number, where the contract says 404).
export const IdPathParams = Type.Object({ id: Type.Integer({ minimum: 1, description: "the row's id" }) })
export function parseId(raw: string): number | undefined {
  return /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined
}

// A nullable string or integer as one list of types rather than an anyOf: fast-json-stringify
// writes an anyOf by trying each branch with the validator (formats included) on every
// answer, a type list with a typeof. The OpenAPI document says `nullable: true` either way.
export function NullablePrimitive<T extends TString | TInteger>(schema: T): TUnsafe<Static<T> | null> {
  const plain = JSON.parse(JSON.stringify(schema)) as { type: string }
  return Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'] })
}
