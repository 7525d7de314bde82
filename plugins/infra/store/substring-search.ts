// Case-insensitive substring search ("contains", as Django admin's search) on both stores.
// The predicate is `lower(column) like '%q%'` with q's wildcards literal. The trigram
// indexes (pg_trgm on Postgres, the FTS5 trigram tables on SQLite) make it fast: they name
// the few rows a specific term matches; a term that matches many rows is better served by
// reading the listing in order and testing each row, which soon fills a page.
import { sql, type RawBuilder } from 'kysely'
import { isPostgres, type Executor } from './database.js'

// Above this many candidates a term is "common": the listing reads in order instead.
export const CANDIDATE_CAP = 1000

export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

// `lower(a) like p or lower(b) like p ...` for columns of the query's tables.
export function containsAny(columns: readonly string[], q: string): RawBuilder<boolean> {
  const pattern = likePattern(q)
  const terms = columns.map((column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`)
  return sql<boolean>`(${sql.join(terms, sql` or `)})`
}

// The FTS5 trigram tokenizer matches nothing shorter than three characters.
function indexable(q: string): boolean {
  return [...q].length >= 3
}

// FTS5's query syntax: one phrase, quotes doubled.
function ftsPhrase(q: string): string {
  return `"${q.replace(/"/g, '""')}"`
}

export interface SearchSpec {
  // SQLite: the FTS5 table over `table`, and the columns of it to search.
  fts: string
  // Postgres: the columns of `table` under a trigram index on lower(column).
  table: string
  columns: readonly string[]
}

// Up to CANDIDATE_CAP + 1 ids of `spec.table` rows containing q; undefined when the term is
// too short for the index (the caller reads in order).
export async function candidateIds(db: Executor, spec: SearchSpec, q: string): Promise<number[] | undefined> {
  if (!indexable(q)) return undefined
  const limit = CANDIDATE_CAP + 1
  if (isPostgres(db)) {
    const pattern = likePattern(q)
    const where = sql.join(
      spec.columns.map((column) => sql`lower(${sql.ref(column)}) like ${pattern} escape '\\'`),
      sql` or `,
    )
    const { rows } = await sql<{ id: number | string }>`select id from ${sql.table(spec.table)} where ${where} limit ${limit}`.execute(db)
    return rows.map((row) => Number(row.id))
  }
  const match = `{${spec.columns.join(' ')}} : ${ftsPhrase(q)}`
  const { rows } = await sql<{ id: number }>`select rowid as id from ${sql.table(spec.fts)} where ${sql.table(spec.fts)} match ${match} limit ${limit}`.execute(db)
  return rows.map((row) => row.id)
}
