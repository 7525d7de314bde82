// One page of a filtered listing, and how many rows the filter matches in all (DRF's `count`):
// the same filter runs twice, once counted, once selected, ordered and cut to the page.
// A page past the middle is read from the far end, in the reverse order, so the last page
// skips few rows instead of nearly all of them.
import type { SelectQueryBuilder } from 'kysely'
import type { PageParams } from '../pagination.js'

export interface CountedPage<T> {
  count: number
  rows: T[]
}

// The listing's order: columns the select may order by, each ascending or descending.
export type Ordering<C extends string> = ReadonlyArray<readonly [C, 'asc' | 'desc']>

// How many rows a filtered query matches.
export async function countRows<DB, TB extends keyof DB>(filtered: SelectQueryBuilder<DB, TB, object>): Promise<number> {
  // Kysely cannot name a generic query's selection; the one column is `n`.
  const total = (await filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()) as { n: number | string }
  return Number(total.n)
}

export async function countedPage<DB, TB extends keyof DB, O, C extends string>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  selected: (query: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, O>,
  ordering: Ordering<C>,
  page: PageParams,
): Promise<CountedPage<O>> {
  const count = await countRows(filtered)
  const fromEnd = page.offset > count / 2
  const take = fromEnd ? Math.min(page.limit, count - page.offset) : page.limit
  if (take <= 0) return { count, rows: [] }
  const skip = fromEnd ? Math.max(0, count - page.offset - page.limit) : page.offset
  let query = selected(filtered)
  for (const [column, direction] of ordering) {
    const order = fromEnd ? (direction === 'asc' ? 'desc' : 'asc') : direction
    // The column names are the caller's, checked by its own query's types.
    query = query.orderBy(column as never, order)
  }
  const rows = (await query.limit(take).offset(skip).execute()) as O[]
  return { count, rows: fromEnd ? rows.reverse() : rows }
}
