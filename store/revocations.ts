import type { Executor, RevocationKind } from './database.js'

export async function recordRevocation(db: Executor, kind: RevocationKind, subjectId: number, now: number): Promise<void> {
  await db.insertInto('revocations').values({ kind, subject_id: subjectId, created_at: now }).execute()
}

export async function revocationsSince(db: Executor, since: number) {
  return db
    .selectFrom('revocations')
    .select(['id', 'kind', 'subject_id', 'created_at'])
    .where('created_at', '>=', since)
    .orderBy('id')
    .execute()
}

export async function deleteRevocationsBefore(db: Executor, before: number): Promise<number> {
  const result = await db.deleteFrom('revocations').where('created_at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
