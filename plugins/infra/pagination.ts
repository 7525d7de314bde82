// DRF's LimitOffsetPagination: {count, next, previous, results} with absolute page links;
// and, with ?cursor=, its CursorPagination: {next, previous, results}, no count, every page
// as cheap as the first (keyset.ts).
import type { FastifyRequest } from 'fastify'
import { ApiError } from './api-error.js'
import { decodeCursor, encodeCursor, FIRST_PAGE, type Cursor, type KeysetPage } from './keyset.js'

export interface PageParams {
  limit: number
  offset: number
}

export const DEFAULT_PAGE_SIZE = 50

export function pageParams(query: { limit?: number; offset?: number }): PageParams {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, offset: query.offset ?? 0 }
}

function link(request: FastifyRequest, params: PageParams): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`)
  url.searchParams.set('limit', String(params.limit))
  if (params.offset > 0) url.searchParams.set('offset', String(params.offset))
  else url.searchParams.delete('offset')
  return url.toString()
}

export function page<T>(request: FastifyRequest, { limit, offset }: PageParams, count: number, results: T[]) {
  return {
    count,
    next: offset + limit < count ? link(request, { limit, offset: offset + limit }) : null,
    previous: offset > 0 ? link(request, { limit, offset: Math.max(0, offset - limit) }) : null,
    results,
  }
}

// The cursor of ?cursor= (empty: the first page); DRF answers a bad one 404 "Invalid cursor".
export function cursorParam(raw: string, width: number): Cursor {
  const cursor = raw === '' ? FIRST_PAGE : decodeCursor(raw, width)
  if (!cursor) throw new ApiError(404, { detail: 'Invalid cursor' })
  return cursor
}

function cursorLink(request: FastifyRequest, cursor: Cursor): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`)
  url.searchParams.delete('offset')
  url.searchParams.set('cursor', encodeCursor(cursor))
  return url.toString()
}

export function cursorPage<T, R>(request: FastifyRequest, page: KeysetPage<T>, results: R[]) {
  return {
    next: page.next ? cursorLink(request, page.next) : null,
    previous: page.previous ? cursorLink(request, page.previous) : null,
    results,
  }
}
