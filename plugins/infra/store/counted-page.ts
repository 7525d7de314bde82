// One page of a filtered listing, and how many rows the filter matches in all (DRF's `count`):
// the same filter runs twice, once counted, once selected, ordered and cut to the page.
import type { SelectQueryBuilder } from 'kysely'
import type { PageParams } from '../pagination.js'

export interface CountedPage<T> {
  count: number
  rows: T[]
}

export async function countedPage<DB, TB extends keyof DB, O>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  selected: (query: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, O>,
  page: PageParams,
): Promise<CountedPage<O>> {
  // Kysely cannot name a generic query's selection; the one column is `n`.
  const total = (await filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()) as { n: number | string }
  const rows = await selected(filtered).limit(page.limit).offset(page.offset).execute()
  return { count: Number(total.n), rows: rows as O[] }
}
