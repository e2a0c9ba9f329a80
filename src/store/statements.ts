/**
 * {@link StoreStatements}: one open store file's connection, its cached prepared statements and
 * its write and read transactions, shared by the store's queries, writes and claims.
 */
import type Database from 'better-sqlite3';

/** The connection of one job store with its prepared statements, each prepared once. */
export class StoreStatements {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Whether the connection is open. */
  get open(): boolean {
    return this.#db.open;
  }

  /** The prepared statement of `sql` (prepared on first use, then cached). */
  sql(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in one write transaction (`BEGIN IMMEDIATE`); nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).immediate();
  }

  /** Runs `fn` in one read transaction (one snapshot); nested calls join the outer one. */
  snapshot<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).deferred();
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
