/**
 * {@link JobStore}: every job in a SQLite file (better-sqlite3, WAL), so that jobs outlive the
 * process that submitted them. The class is the store's one door; its work is done beside it:
 * `statements.ts` (the connection and its transactions), `queries.ts` (reads), `writes.ts`
 * (inserts, events, requeues, deletes) and `claims.ts` (owners and take-overs).
 */
import { existsSync, statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { InvalidArgumentError } from '../util/errors.js';
import type { JobID } from '../ids/index.js';
import { claimOrphans, setOwner } from './claims.js';
import { StoreOpenError } from './errors.js';
import { isOwnerAlive } from './owner.js';
import { countByState, dependentsOf, getJob, jobEvents, jobExists, listJobs } from './queries.js';
import { toKey } from './records.js';
import { prepareStore } from './schema.js';
import { StoreStatements } from './statements.js';
import { epochSeconds } from '../util/time.js';
import type {
  ClaimOptions,
  JobEventInput,
  JobFilter,
  JobIdLike,
  JobRecord,
  NewEvent,
  NewJob,
  Owner,
  StoredEvent,
} from './types.js';
import { appendEvent, checkEvent, deleteJob, insertJob, requeueJob, setNativeId } from './writes.js';

/** Options of {@link JobStore.open}. */
export interface JobStoreOptions {
  /**
   * Open for reading only: the file must exist and be a job store; nothing is ever written.
   * Default false: a missing or empty file becomes a new store.
   */
  readonly readonly?: boolean;
  /**
   * How long a statement waits for another process's lock before failing with SQLITE_BUSY, in
   * milliseconds. Default 5000.
   */
  readonly busyTimeoutMs?: number;
}

/**
 * The job store: jobs, their events and their dependencies in one SQLite file.
 *
 * - The file is in WAL mode with `synchronous=NORMAL`: readers in other processes see the last
 *   committed state while a writer works, and a crash loses at most the last transactions, never
 *   consistency.
 * - Every write is one `BEGIN IMMEDIATE` transaction, so concurrent writers queue up on the busy
 *   timeout instead of failing; multi-statement reads run in one read transaction (one snapshot).
 * - Every method is synchronous and uses cached prepared statements: the engine calls them on its
 *   hot path.
 * - Events are append-only. A job's state, result and exit code are derived from them (see
 *   derive.ts) in the same transaction that appends them.
 * - Requeueing starts a new *attempt* instead of erasing the past: a `submit` event is appended and
 *   the derived columns start over; {@link JobRecord.attemptSeq} tells where the current attempt's
 *   events begin.
 *
 * @example
 * ```ts
 * const store = JobStore.open('jobs.db');
 * store.insertJob({ jobid, name: 'hello', backend: 'local', spec: spec.toJSON(),
 *   events: [{ name: 'submit', timestamp: Date.now() / 1000, context: { urgency: 16 } }] });
 * store.appendEvent(jobid, 'start', Date.now() / 1000);
 * store.list({ state: 'RUN' });
 * store.close();
 * ```
 */
export class JobStore {
  /** The path the store was opened with. */
  readonly path: string;
  /** Whether it was opened read-only. */
  readonly readonly: boolean;

  readonly #s: StoreStatements;

  private constructor(statements: StoreStatements, path: string, readonly: boolean) {
    this.#s = statements;
    this.path = path;
    this.readonly = readonly;
  }

  /**
   * Opens a job store, creating it if the file does not exist or is empty.
   *
   * @param path - The SQLite file.
   * @param opts - See {@link JobStoreOptions}.
   * @throws {@link StoreFormatError} if the file is not a job store (another SQLite database, a text
   *   file), is corrupt, or was written by a newer version. The file is not modified.
   * @throws {@link StoreOpenError} if it cannot be opened (missing with `readonly`, a directory,
   *   permissions).
   * @throws {@link InvalidArgumentError} for a bad option.
   */
  static open(path: string, opts: JobStoreOptions = {}): JobStore {
    if (typeof path !== 'string' || path === '') {
      throw new InvalidArgumentError('path', 'must be a non-empty file path');
    }
    const readonly = opts.readonly ?? false;
    const timeout = opts.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(timeout) || timeout < 0) {
      throw new InvalidArgumentError('opts.busyTimeoutMs', `must be an integer >= 0, got ${String(timeout)}`);
    }
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new StoreOpenError(path, 'it is a directory');
    }
    if (readonly && !existsSync(path)) throw new StoreOpenError(path, 'no such file');

    let db: Database.Database;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly, timeout });
    } catch (err) {
      throw new StoreOpenError(path, (err as Error).message, { cause: err });
    }
    try {
      prepareStore(db, path, readonly);
    } catch (err) {
      db.close();
      throw err;
    }
    return new JobStore(new StoreStatements(db), path, readonly);
  }

  /** Whether the connection is open. */
  get open(): boolean {
    return this.#s.open;
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`): all of its store calls commit together
   * or not at all. Nested calls join the outer transaction.
   *
   * @param fn - Synchronous work; if it throws, everything it wrote is rolled back and the error
   *   is rethrown.
   */
  transaction<T>(fn: () => T): T {
    return this.#s.transaction(fn);
  }

  /**
   * Runs `fn` in one read transaction: everything it reads through this store comes from one
   * snapshot, however many writers work meanwhile (e.g. a job and its events). Nested in
   * {@link JobStore.transaction}, it joins that transaction.
   *
   * @param fn - Synchronous reads.
   */
  snapshot<T>(fn: () => T): T {
    return this.#s.snapshot(fn);
  }

  /**
   * Inserts one job with its dependencies (and its first events, if given) in one transaction.
   *
   * @throws {@link DuplicateJobError} if the id is in the store already.
   * @throws {@link UnknownJobError} if a dependency is not in the store.
   * @throws {@link InvalidArgumentError} for a malformed field.
   */
  insertJob(job: NewJob): void {
    this.insertJobs([job]);
  }

  /**
   * Inserts jobs in one transaction: all of them or none. A job may depend on one inserted earlier
   * in the same batch (e.g. the tasks of an array and a job after them).
   *
   * @throws As {@link JobStore.insertJob}; nothing is written then.
   */
  insertJobs(jobs: readonly NewJob[]): void {
    this.transaction(() => {
      jobs.forEach((job, i) => insertJob(this.#s, job, `jobs[${i}]`));
    });
  }

  /**
   * Appends one event to a job's eventlog and updates the job's derived state, in one transaction.
   * A `submit` event on a job that has events starts a new attempt (see {@link JobStore.requeue}).
   *
   * @param jobid - The job.
   * @param name - Event name (`start`, `finish`, `exception`, ...).
   * @param timestamp - Float seconds since the epoch.
   * @param context - Event context, JSON-serializable.
   * @returns The event's seq.
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  appendEvent(jobid: JobIdLike, name: string, timestamp: number, context?: Readonly<Record<string, unknown>>): number {
    const ev: NewEvent = context === undefined ? { name, timestamp } : { name, timestamp, context };
    const key = toKey(jobid);
    const ctx = checkEvent(ev, 'event');
    return this.transaction(() => appendEvent(this.#s, key, ev, ctx));
  }

  /**
   * Appends events of any jobs, in order, in one transaction: all or none.
   *
   * @returns The seq of each event.
   * @throws {@link UnknownJobError} if a job is not in the store; nothing is written then.
   */
  appendEvents(batch: readonly JobEventInput[]): number[] {
    const prepared = batch.map((ev, i) => ({ key: toKey(ev.jobid), ev, ctx: checkEvent(ev, `batch[${i}]`) }));
    return this.transaction(() => prepared.map((p) => appendEvent(this.#s, p.key, p.ev, p.ctx)));
  }

  /**
   * Records the backend's id of a job (a pid, a Slurm job id).
   *
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  setNativeId(jobid: JobIdLike, nativeId: string | null): void {
    setNativeId(this.#s, toKey(jobid), nativeId);
  }

  /**
   * Records which process runs a job; `null`: nobody (it waits for `jobf execute` or a recovery).
   *
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  setOwner(jobid: JobIdLike, owner: Owner | null): void {
    setOwner(this.#s, toKey(jobid), owner);
  }

  /**
   * Takes over, atomically, the active (not INACTIVE) jobs whose owner is dead, and (unless
   * `opts.includeUnowned` is false) those that have no owner: they are given `newOwner` in one
   * transaction, so two processes recovering at once never both get a job. Jobs owned by
   * `newOwner` already are not returned.
   *
   * @param newOwner - Usually `currentOwner()`.
   * @param ownerIsAlive - Liveness test, called once per distinct owner, inside the transaction
   *   (keep it fast). Default {@link isOwnerAlive}.
   * @param opts - See {@link ClaimOptions}.
   * @returns The claimed jobs, as they are after the claim (their state and events tell how far
   *   they got).
   */
  claimOrphans(newOwner: Owner, ownerIsAlive: (owner: Owner) => boolean = isOwnerAlive, opts: ClaimOptions = {}): JobRecord[] {
    return claimOrphans(this.#s, newOwner, ownerIsAlive, opts);
  }

  /**
   * Puts a job back in the queue, keeping its id, spec and dependencies: appends a `submit` event,
   * which starts a new attempt (state NEW, no result), and clears its native id and owner. Earlier
   * events are kept; {@link JobRecord.attemptSeq} marks where the new attempt begins.
   *
   * The store does not check that the job is not running: the caller must have ended it.
   *
   * @param jobid - The job.
   * @param timestamp - Time of the new `submit` event. Default now.
   * @returns The job as it is now.
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  requeue(jobid: JobIdLike, timestamp: number = epochSeconds()): JobRecord {
    return this.transaction(() => {
      requeueJob(this.#s, toKey(jobid), timestamp);
      return this.get(jobid)!;
    });
  }

  /** Whether a job is in the store. */
  has(jobid: JobIdLike): boolean {
    return jobExists(this.#s, toKey(jobid));
  }

  /** A job, or `undefined` if it is not in the store. */
  get(jobid: JobIdLike): JobRecord | undefined {
    return getJob(this.#s, toKey(jobid));
  }

  /**
   * A job's events with seq greater than `afterSeq`, oldest first. Poll with the last seq seen to
   * follow a job. Does not check that the job exists (an unknown job has no events).
   *
   * @param jobid - The job.
   * @param afterSeq - Only events after this one. Default 0 (all, across attempts); pass
   *   `record.attemptSeq - 1` for the current attempt only.
   */
  events(jobid: JobIdLike, afterSeq = 0): StoredEvent[] {
    return jobEvents(this.#s, toKey(jobid), afterSeq);
  }

  /** The jobs that wait for `jobid` (their dependency rows name it), in insertion order. */
  dependents(jobid: JobIdLike): JobID[] {
    return dependentsOf(this.#s, toKey(jobid));
  }

  /**
   * The jobs that match `filter` (all of them by default), in submission order, with their
   * dependencies. One snapshot.
   */
  list(filter: JobFilter = {}): JobRecord[] {
    return listJobs(this.#s, filter);
  }

  /** How many jobs there are in each state. */
  countByState(): Record<string, number> {
    return countByState(this.#s);
  }

  /**
   * Removes a job, its events and its own dependency rows. The dependency rows of jobs that wait
   * for it stay: those jobs can tell their dependency is gone. The store does not check that the
   * job is not running, nor touch its log files.
   *
   * @returns Whether the job was there.
   */
  delete(jobid: JobIdLike): boolean {
    return deleteJob(this.#s, toKey(jobid));
  }

  /** Closes the connection (checkpointing the WAL if it is the last one). Idempotent. */
  close(): void {
    this.#s.close();
  }
}
