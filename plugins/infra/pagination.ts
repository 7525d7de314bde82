// DRF's LimitOffsetPagination: {count, next, previous, results} with absolute page links.
import type { FastifyRequest } from 'fastify'

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
