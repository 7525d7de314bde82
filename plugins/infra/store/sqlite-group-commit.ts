// Group commit for SQLite. A WAL commit appends every page the transaction dirtied to the
// log (and, every thousand pages, checkpoints with two fsyncs), all on the event loop: under
// load a refresh spent more time committing than doing its work. Here the transactions that
// arrive together share one commit, as a database server's group commit does:
//
// - each Kysely transaction runs alone (one connection, a mutex) inside a SAVEPOINT of an
//   outer transaction that stays open while transactions keep arriving, so a failing one
//   rolls back alone and the others keep their work;
// - once nothing runs (at the end of the event loop's turn), the outer transaction commits,
//   and only then does each member's commit resolve: no answer is sent for work that is not
//   durable, and a failed COMMIT fails every member as an outage (none of their work is kept);
// - a write outside any transaction is a member of its own;
// - reads outside a transaction go to a second connection, which sees only committed data,
//   so nothing is ever read from a batch that may yet fail.
//
// The outer transaction takes the write lock at once (BEGIN IMMEDIATE). While another process
// holds it (`keyturn flushexpiredtokens` between its batches, another instance), the batch
// waits for it off the event loop: SQLite's own busy handler sleeps in the calling thread, and
// with better-sqlite3 that is the one thread that answers every request, so a refresh waiting
// for the lock stopped verifies and profiles too, and its sleeps grow to 100 ms at a time
// (refresh p99 about 1 s through a flush). Here the writer connection does not wait
// (busy_timeout 0): the BEGIN is tried again every millisecond, other requests are answered
// meanwhile, and after the busy timeout the transaction that opens the batch fails (503), as
// before.
import type SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely'
import { isStoreUnavailable } from './store-errors.js'

// How often a BEGIN refused for another process's lock is tried again (ms).
const LOCK_RETRY_MS = 1

// A batch is committed early when it reaches this many members, so that one slow
// transaction (one awaiting I/O while holding the connection) cannot grow it without bound.
const MAX_BATCH = 256

interface Member {
  resolve(): void
  reject(err: unknown): void
}

interface StatementSource {
  prepare(sql: string): SQLite.Statement
}

class Mutex {
  #locked = false
  #waiters: Array<() => void> = []

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  // Hands the lock straight to the next waiter, in arrival order.
  unlock(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }
}

function run(source: StatementSource, query: CompiledQuery): QueryResult<unknown> {
  const statement = source.prepare(query.sql)
  const parameters = query.parameters as unknown[]
  if (statement.reader) return { rows: statement.all(parameters) }
  const { changes, lastInsertRowid } = statement.run(parameters)
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
}

const SQL = {
  begin: CompiledQuery.raw('begin immediate'),
  commit: CompiledQuery.raw('commit'),
  rollback: CompiledQuery.raw('rollback'),
  savepoint: CompiledQuery.raw('savepoint keyturn_member'),
  release: CompiledQuery.raw('release keyturn_member'),
  rollbackMember: CompiledQuery.raw('rollback to keyturn_member'),
}

// What Kysely acquires for a query or a transaction. It holds the writer connection (the
// mutex) only from a transaction's BEGIN, or for a write's duration: reads outside a
// transaction go to the reader and never wait for a writer.
class Hold implements DatabaseConnection {
  inTransaction = false
  holdsWriter = false

  constructor(private readonly driver: GroupCommitDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute(this, query) as Promise<QueryResult<R>>
  }

  // eslint-disable-next-line require-yield
  async *streamQuery(): AsyncIterableIterator<QueryResult<never>> {
    throw new Error('streaming is not supported by the SQLite store')
  }
}

export class GroupCommitDriver implements Driver {
  readonly #mutex = new Mutex()
  #members: Member[] = []
  #flushQueued = false
  #mustRollback = false

  constructor(
    private readonly writer: SQLite.Database,
    private readonly writerStatements: StatementSource,
    private readonly readerStatements: StatementSource,
    private readonly closeAll: () => void,
    // Told the size of each batch committed (the metrics).
    private readonly onCommitted: (members: number) => void = () => {},
    // How long a batch waits for another process's write lock before it fails (ms).
    private readonly busyTimeoutMs = 5000,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Hold(this)
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const hold = connection as Hold
    await this.#takeWriter(hold)
    await this.#openBatch()
    run(this.writerStatements, SQL.savepoint)
    hold.inTransaction = true
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const hold = connection as Hold
    run(this.writerStatements, SQL.release)
    hold.inTransaction = false
    await this.#join(hold)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const hold = connection as Hold
    hold.inTransaction = false
    // An I/O error or a full disk may have ended the whole outer transaction already.
    if (!this.writer.inTransaction) return this.#batchLost()
    run(this.writerStatements, SQL.rollbackMember)
    run(this.writerStatements, SQL.release)
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#releaseWriter(connection as Hold)
  }

  async #takeWriter(hold: Hold): Promise<void> {
    await this.#mutex.lock()
    hold.holdsWriter = true
  }

  #releaseWriter(hold: Hold): void {
    if (!hold.holdsWriter) return
    hold.holdsWriter = false
    this.#mutex.unlock()
  }

  async destroy(): Promise<void> {
    await this.#flush()
    this.closeAll()
  }

  async execute(hold: Hold, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (hold.inTransaction) return run(this.writerStatements, query)
    // `readonly`, not `reader`: an INSERT ... RETURNING returns rows but writes.
    if (this.writerStatements.prepare(query.sql).readonly) return run(this.readerStatements, query)
    // A write on its own: a member of the batch, answered once the batch is committed.
    await this.#takeWriter(hold)
    let result: QueryResult<unknown>
    try {
      await this.#openBatch()
      result = run(this.writerStatements, query)
    } catch (err) {
      this.#releaseWriter(hold)
      throw err
    }
    await this.#join(hold)
    return result
  }

  // Rolls back a transaction whose members were told it failed. Should the ROLLBACK itself
  // fail, no batch may start on top of that work: the next one tries the ROLLBACK again first.
  #discard(): void {
    this.#mustRollback = true
    try {
      this.#rollbackOwed()
    } catch {
      // left to #openBatch
    }
  }

  // Throws when the ROLLBACK fails, leaving it owed.
  #rollbackOwed(): void {
    if (!this.#mustRollback) return
    if (this.writer.inTransaction) run(this.writerStatements, SQL.rollback)
    this.#mustRollback = false
  }

  // Runs with the mutex held, so nothing else uses the writer while it waits for the lock.
  async #openBatch(): Promise<void> {
    this.#rollbackOwed()
    if (this.writer.inTransaction) return
    // Members waiting on a batch whose transaction ended behind their back lost their work.
    if (this.#members.length > 0) this.#batchLost()
    await this.#begin()
    // Whatever happens to the members, the batch ends this turn: an open batch holds the
    // file's write lock, which other processes (the CLI, another instance) wait for.
    if (!this.#flushQueued) {
      this.#flushQueued = true
      setImmediate(() => {
        this.#flush().catch(() => {})
      })
    }
  }

  // BEGIN IMMEDIATE, tried until the lock is free or the busy timeout has passed.
  async #begin(): Promise<void> {
    const deadline = performance.now() + this.busyTimeoutMs
    for (;;) {
      try {
        run(this.writerStatements, SQL.begin)
        return
      } catch (err) {
        if (!isBusy(err) || performance.now() >= deadline) throw err
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS))
    }
  }

  // Adds the holder's finished work to the batch, lets the next transaction in, and
  // resolves once the batch is committed.
  #join(hold: Hold): Promise<void> {
    const committed = new Promise<void>((resolve, reject) => this.#members.push({ resolve, reject }))
    if (this.#members.length >= MAX_BATCH) this.#commit()
    this.#releaseWriter(hold)
    return committed
  }

  async #flush(): Promise<void> {
    await this.#mutex.lock()
    this.#flushQueued = false
    try {
      this.#commit()
    } finally {
      this.#mutex.unlock()
    }
  }

  // Runs with the mutex held.
  #commit(): void {
    const members = this.#members
    this.#members = []
    if (!this.writer.inTransaction) {
      if (members.length > 0) settle(members, batchLost())
      return
    }
    try {
      run(this.writerStatements, SQL.commit)
    } catch (err) {
      // A COMMIT refused with SQLITE_BUSY leaves the transaction open: end it, so that nothing
      // of a batch whose members hear of a failure is ever committed later.
      this.#discard()
      // Each member's own work was sound (a deferred constraint may be another member's): to
      // its caller the lost batch is an outage (503), never a failure of its request (500).
      settle(members, isStoreUnavailable(err) ? err : batchLost(err))
      return
    }
    settle(members)
    if (members.length > 0) this.onCommitted(members.length)
  }

  #batchLost(): void {
    const members = this.#members
    this.#members = []
    settle(members, batchLost())
  }
}

// The batch's transaction ended under its members (an I/O error or a full disk rolls back the
// whole transaction): their work is gone, which their callers hear as an outage (503).
function batchLost(cause?: unknown): Error {
  return Object.assign(new Error('the SQLite batch transaction was rolled back', { cause }), { code: 'SQLITE_ABORT_ROLLBACK' })
}

const isBusy = (err: unknown): boolean => String((err as { code?: unknown } | null)?.code).startsWith('SQLITE_BUSY')

function settle(members: Member[], err?: unknown): void {
  for (const member of members) {
    if (err === undefined) member.resolve()
    else member.reject(err)
  }
}

// Kysely's SQLite dialect (adapter, compiler, introspector) with the group-commit driver.
export class GroupCommitSqliteDialect extends SqliteDialect {
  constructor(private readonly makeDriver: () => GroupCommitDriver) {
    super({ database: { close: () => {}, prepare: () => ({}) as never } })
  }

  override createDriver(): Driver {
    return this.makeDriver()
  }
}
