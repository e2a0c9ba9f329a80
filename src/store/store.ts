/**
 * {@link JobStore}: every job in a SQLite file (better-sqlite3, WAL), so that jobs outlive the
 * process that submitted them.
 */
import { existsSync, statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { InvalidArgumentError } from '../util/errors.js';
import type { JobID } from '../ids/index.js';
import { applyEvent, initialState, type DerivedState } from './derive.js';
import { DEPENDENCY_KINDS, JOB_STATES, checkUrgency } from '../core/lifecycle.js';
import { DuplicateJobError, StoreOpenError } from './errors.js';
import { UnknownJobError } from '../core/errors.js';
import { encodeOwner, decodeOwner, isOwnerAlive } from './owner.js';
import {
  derivedOf,
  eventOf,
  fromKey,
  keyF58,
  recordOf,
  toKey,
  type DependencyRow,
  type DerivedRow,
  type EventRow,
  type JobRow,
} from './records.js';
import { prepareStore } from './schema.js';
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

/** Seconds since the epoch, as a float (Flux's convention for timestamps). */
function now(): number {
  return Date.now() / 1000;
}

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

/** Values bound to the columns that {@link applyEvent} derives. */
function derivedParams(d: DerivedState): unknown[] {
  return [
    d.state,
    d.result ?? null,
    d.returncode ?? null,
    d.waitstatus ?? null,
    d.exception?.type ?? null,
    d.exception?.severity ?? null,
    d.exception?.note ?? null,
    d.urgency,
    d.tRun ?? null,
    d.tCleanup ?? null,
  ];
}

function checkEvent(ev: NewEvent, where: string): string | null {
  if (typeof ev.name !== 'string' || ev.name === '') {
    throw new InvalidArgumentError(`${where}.name`, 'must be a non-empty string');
  }
  if (typeof ev.timestamp !== 'number' || !Number.isFinite(ev.timestamp)) {
    throw new InvalidArgumentError(`${where}.timestamp`, `must be a finite number, got ${String(ev.timestamp)}`);
  }
  return ev.context === undefined ? null : JSON.stringify(ev.context);
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

  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, path: string, readonly: boolean) {
    this.#db = db;
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
    return new JobStore(db, path, readonly);
  }

  /** Whether the connection is open. */
  get open(): boolean {
    return this.#db.open;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`): all of its store calls commit together
   * or not at all. Nested calls join the outer transaction.
   *
   * @param fn - Synchronous work; if it throws, everything it wrote is rolled back and the error
   *   is rethrown.
   */
  transaction<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).immediate();
  }

  /**
   * Runs `fn` in one read transaction: everything it reads through this store comes from one
   * snapshot, however many writers work meanwhile (e.g. a job and its events). Nested in
   * {@link JobStore.transaction}, it joins that transaction.
   *
   * @param fn - Synchronous reads.
   */
  snapshot<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).deferred();
  }

  #row(key: string): JobRow | undefined {
    return this.#stmt('SELECT * FROM jobs WHERE jobid = ?').get(key) as JobRow | undefined;
  }

  #exists(key: string): boolean {
    return this.#stmt('SELECT 1 FROM jobs WHERE jobid = ?').get(key) !== undefined;
  }

  #rowOrThrow(key: string): JobRow {
    const row = this.#row(key);
    if (row === undefined) throw new UnknownJobError(keyF58(key));
    return row;
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
      jobs.forEach((job, i) => this.#insert(job, `jobs[${i}]`));
    });
  }

  #insert(job: NewJob, where: string): void {
    const key = toKey(job.jobid);
    if (typeof job.name !== 'string') throw new InvalidArgumentError(`${where}.name`, 'must be a string');
    if (typeof job.backend !== 'string' || job.backend === '') {
      throw new InvalidArgumentError(`${where}.backend`, 'must be a non-empty string');
    }
    const urgency = checkUrgency(job.urgency, `${where}.urgency`);
    if (job.arrayIndex !== undefined && !Number.isSafeInteger(job.arrayIndex)) {
      throw new InvalidArgumentError(`${where}.arrayIndex`, `must be an integer, got ${String(job.arrayIndex)}`);
    }
    const spec = JSON.stringify(job.spec);
    if (typeof spec !== 'string' || typeof job.spec !== 'object' || job.spec === null) {
      throw new InvalidArgumentError(`${where}.spec`, 'must be a JSON-serializable object');
    }
    const events = job.events ?? [];
    const contexts = events.map((ev, i) => checkEvent(ev, `${where}.events[${i}]`));

    if (this.#exists(key)) throw new DuplicateJobError(keyF58(key));
    const deps = job.dependencies ?? [];
    for (const dep of deps) {
      const depKey = toKey(dep.jobid);
      if (!DEPENDENCY_KINDS.includes(dep.kind)) {
        throw new InvalidArgumentError(`${where}.dependencies`, `kind must be afterok or afterany, got ${String(dep.kind)}`);
      }
      if (!this.#exists(depKey)) {
        throw new UnknownJobError(keyF58(depKey), `(dependency of ${keyF58(key)})`);
      }
    }

    // As in #append: a `submit` after the first event starts a new attempt.
    let d = initialState(urgency);
    let attempt = 1;
    let attemptSeq = 1;
    const attempts = events.map((ev, i) => {
      if (ev.name === 'submit' && i > 0) {
        attempt++;
        attemptSeq = i + 1;
      }
      d = applyEvent(d, ev);
      return attempt;
    });
    const t = now();
    this.#stmt(
      `INSERT INTO jobs (jobid, name, backend, spec, state, result, returncode, waitstatus,
         exception_type, exception_severity, exception_note, urgency, t_run, t_cleanup,
         native_id, stdout, stderr, log_dir, cwd, array_id, array_index, owner,
         attempt, attempt_seq, last_seq, submitted_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key,
      job.name,
      job.backend,
      spec,
      ...derivedParams(d),
      job.nativeId ?? null,
      job.stdout ?? null,
      job.stderr ?? null,
      job.logDir ?? null,
      job.cwd ?? null,
      job.arrayId === undefined ? null : toKey(job.arrayId),
      job.arrayIndex ?? null,
      job.owner ? encodeOwner(job.owner) : null,
      attempt,
      attemptSeq,
      events.length,
      job.submittedAt ?? events[0]?.timestamp ?? t,
      t,
    );
    const insertDep = this.#stmt('INSERT OR REPLACE INTO dependencies (jobid, depends_on, kind) VALUES (?, ?, ?)');
    for (const dep of deps) insertDep.run(key, toKey(dep.jobid), dep.kind);
    const insertEvent = this.#stmt(
      'INSERT INTO events (jobid, seq, attempt, name, timestamp, context) VALUES (?, ?, ?, ?, ?, ?)',
    );
    events.forEach((ev, i) => insertEvent.run(key, i + 1, attempts[i], ev.name, ev.timestamp, contexts[i]));
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
    return this.transaction(() => this.#append(key, ev, ctx));
  }

  /**
   * Appends events of any jobs, in order, in one transaction: all or none.
   *
   * @returns The seq of each event.
   * @throws {@link UnknownJobError} if a job is not in the store; nothing is written then.
   */
  appendEvents(batch: readonly JobEventInput[]): number[] {
    const prepared = batch.map((ev, i) => ({ key: toKey(ev.jobid), ev, ctx: checkEvent(ev, `batch[${i}]`) }));
    return this.transaction(() => prepared.map((p) => this.#append(p.key, p.ev, p.ctx)));
  }

  #append(key: string, ev: NewEvent, ctx: string | null): number {
    // Only the derived columns: the spec can be kilobytes and is not needed here.
    const row = this.#stmt(
      `SELECT state, result, returncode, waitstatus, exception_type, exception_severity, exception_note,
         urgency, t_run, t_cleanup, last_seq, attempt, attempt_seq FROM jobs WHERE jobid = ?`,
    ).get(key) as DerivedRow | undefined;
    if (row === undefined) throw new UnknownJobError(keyF58(key));
    const seq = row.last_seq + 1;
    let attempt = row.attempt;
    let attemptSeq = row.attempt_seq;
    if (ev.name === 'submit' && row.last_seq > 0) {
      attempt++;
      attemptSeq = seq;
    }
    const d = applyEvent(derivedOf(row), ev);
    this.#stmt('INSERT INTO events (jobid, seq, attempt, name, timestamp, context) VALUES (?, ?, ?, ?, ?, ?)').run(
      key,
      seq,
      attempt,
      ev.name,
      ev.timestamp,
      ctx,
    );
    this.#stmt(
      `UPDATE jobs SET state = ?, result = ?, returncode = ?, waitstatus = ?, exception_type = ?,
         exception_severity = ?, exception_note = ?, urgency = ?, t_run = ?, t_cleanup = ?,
         last_seq = ?, attempt = ?, attempt_seq = ?, updated_at = ?
       WHERE jobid = ?`,
    ).run(...derivedParams(d), seq, attempt, attemptSeq, now(), key);
    return seq;
  }

  /**
   * Records the backend's id of a job (a pid, a Slurm job id).
   *
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  setNativeId(jobid: JobIdLike, nativeId: string | null): void {
    const key = toKey(jobid);
    const r = this.#stmt('UPDATE jobs SET native_id = ?, updated_at = ? WHERE jobid = ?').run(nativeId, now(), key);
    if (r.changes === 0) throw new UnknownJobError(keyF58(key));
  }

  /**
   * Records which process runs a job; `null`: nobody (it waits for `jobf execute` or a recovery).
   *
   * @throws {@link UnknownJobError} if the job is not in the store.
   */
  setOwner(jobid: JobIdLike, owner: Owner | null): void {
    const key = toKey(jobid);
    const r = this.#stmt('UPDATE jobs SET owner = ?, updated_at = ? WHERE jobid = ?').run(
      owner ? encodeOwner(owner) : null,
      now(),
      key,
    );
    if (r.changes === 0) throw new UnknownJobError(keyF58(key));
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
  claimOrphans(
    newOwner: Owner,
    ownerIsAlive: (owner: Owner) => boolean = isOwnerAlive,
    opts: ClaimOptions = {},
  ): JobRecord[] {
    const includeUnowned = opts.includeUnowned ?? true;
    const mine = encodeOwner(newOwner);
    let scope = opts.backend === undefined ? '' : ' AND backend = @backend';
    const params: Record<string, unknown> = opts.backend === undefined ? {} : { backend: opts.backend };
    if (opts.ids !== undefined) {
      scope += ' AND jobid IN (SELECT value FROM json_each(@only))';
      params['only'] = JSON.stringify(opts.ids.map(toKey));
    }
    return this.transaction(() => {
      const owners = this.#stmt(
        `SELECT DISTINCT owner FROM jobs WHERE state != 'INACTIVE' AND owner IS NOT NULL${scope}`,
      )
        .pluck()
        .all(params) as string[];
      const dead = owners.filter((text) => {
        if (text === mine) return false;
        const owner = decodeOwner(text);
        // An owner column we cannot read belongs to nobody we could ask: treat it as dead.
        return owner === undefined || !ownerIsAlive(owner);
      });
      const t = now();
      const claimed = this.#stmt(
        `UPDATE jobs SET owner = @mine, updated_at = @t
         WHERE state != 'INACTIVE'${scope}
           AND (owner IN (SELECT value FROM json_each(@dead))${includeUnowned ? ' OR owner IS NULL' : ''})
         RETURNING jobid`,
      )
        .pluck()
        .all({ ...params, mine, t, dead: JSON.stringify(dead) }) as string[];
      return claimed.length === 0 ? [] : this.#listWhere('jobid IN (SELECT value FROM json_each(@ids))', {
        ids: JSON.stringify(claimed),
      });
    });
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
  requeue(jobid: JobIdLike, timestamp: number = now()): JobRecord {
    const key = toKey(jobid);
    return this.transaction(() => {
      const row = this.#rowOrThrow(key);
      const last = this.#stmt(
        `SELECT context FROM events WHERE jobid = ? AND name = 'submit' ORDER BY seq DESC LIMIT 1`,
      )
        .pluck()
        .get(key) as string | null | undefined;
      const context = { ...(last ? (JSON.parse(last) as Record<string, unknown>) : {}), urgency: row.urgency };
      const ev: NewEvent = { name: 'submit', timestamp, context };
      this.#append(key, ev, JSON.stringify(context));
      this.#stmt('UPDATE jobs SET native_id = NULL, owner = NULL WHERE jobid = ?').run(key);
      return this.get(jobid)!;
    });
  }

  /** Whether a job is in the store. */
  has(jobid: JobIdLike): boolean {
    return this.#exists(toKey(jobid));
  }

  /** A job, or `undefined` if it is not in the store. */
  get(jobid: JobIdLike): JobRecord | undefined {
    const key = toKey(jobid);
    return this.snapshot(() => {
      const row = this.#row(key);
      if (row === undefined) return undefined;
      const deps = this.#stmt('SELECT * FROM dependencies WHERE jobid = ? ORDER BY rowid').all(key) as DependencyRow[];
      return recordOf(row, deps);
    });
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
    const rows = this.#stmt(
      'SELECT seq, attempt, name, timestamp, context FROM events WHERE jobid = ? AND seq > ? ORDER BY seq',
    ).all(toKey(jobid), afterSeq) as EventRow[];
    return rows.map(eventOf);
  }

  /** The jobs that wait for `jobid` (their dependency rows name it), in insertion order. */
  dependents(jobid: JobIdLike): JobID[] {
    const keys = this.#stmt(
      `SELECT d.jobid FROM dependencies d JOIN jobs j ON j.jobid = d.jobid WHERE d.depends_on = ? ORDER BY j.id`,
    )
      .pluck()
      .all(toKey(jobid)) as string[];
    return keys.map(fromKey);
  }

  /**
   * The jobs that match `filter` (all of them by default), in submission order, with their
   * dependencies. One snapshot.
   */
  list(filter: JobFilter = {}): JobRecord[] {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    const inList = (column: string, values: readonly unknown[] | undefined): void => {
      if (values === undefined) return;
      clauses.push(`${column} IN (SELECT value FROM json_each(@${column}))`);
      params[column] = JSON.stringify(values);
    };
    const states = asList(filter.state);
    if (states) {
      for (const s of states) {
        if (!JOB_STATES.includes(s)) throw new InvalidArgumentError('filter.state', `unknown state ${String(s)}`);
      }
    }
    inList('state', states);
    inList('result', asList(filter.result));
    inList('name', asList(filter.name));
    inList('backend', asList(filter.backend));
    inList('jobid', filter.ids?.map(toKey));
    if (filter.arrayId !== undefined) {
      clauses.push('array_id = @array_id');
      params['array_id'] = toKey(filter.arrayId);
    }
    return this.snapshot(() => this.#listWhere(clauses.length === 0 ? '1' : clauses.join(' AND '), params));
  }

  #listWhere(where: string, params: Record<string, unknown>): JobRecord[] {
    const rows = this.#stmt(`SELECT * FROM jobs WHERE ${where} ORDER BY id`).all(params) as JobRow[];
    if (rows.length === 0) return [];
    const deps = this.#stmt(
      `SELECT * FROM dependencies WHERE jobid IN (SELECT jobid FROM jobs WHERE ${where}) ORDER BY rowid`,
    ).all(params) as DependencyRow[];
    const byJob = new Map<string, DependencyRow[]>();
    for (const d of deps) {
      const list = byJob.get(d.jobid);
      if (list) list.push(d);
      else byJob.set(d.jobid, [d]);
    }
    return rows.map((row) => recordOf(row, byJob.get(row.jobid) ?? []));
  }

  /** How many jobs there are in each state. */
  countByState(): Record<string, number> {
    const rows = this.#stmt('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as {
      state: string;
      n: number;
    }[];
    const out: Record<string, number> = {};
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /**
   * Removes a job, its events and its own dependency rows. The dependency rows of jobs that wait
   * for it stay: those jobs can tell their dependency is gone. The store does not check that the
   * job is not running, nor touch its log files.
   *
   * @returns Whether the job was there.
   */
  delete(jobid: JobIdLike): boolean {
    return this.#stmt('DELETE FROM jobs WHERE jobid = ?').run(toKey(jobid)).changes > 0;
  }

  /** Closes the connection (checkpointing the WAL if it is the last one). Idempotent. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
