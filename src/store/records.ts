/**
 * Conversions between the store's rows and the records it hands out.
 */
import type { JobException, JobResultName, JobState } from '../core/types.js';
import { InvalidArgumentError } from '../util/errors.js';
import { JobID } from '../ids/index.js';
import type { DerivedState } from './derive.js';
import { decodeOwner } from './owner.js';
import type { Dependency, DependencyKind, JobIdLike, JobRecord, StoredEvent } from './types.js';

/** A row of `jobs`, as better-sqlite3 returns it. */
export interface JobRow {
  jobid: string;
  name: string;
  backend: string;
  spec: string;
  urgency: number;
  state: string;
  result: string | null;
  returncode: number | null;
  waitstatus: number | null;
  exception_type: string | null;
  exception_severity: number | null;
  exception_note: string | null;
  native_id: string | null;
  stdout: string | null;
  stderr: string | null;
  log_dir: string | null;
  cwd: string | null;
  array_id: string | null;
  array_index: number | null;
  owner: string | null;
  attempt: number;
  attempt_seq: number;
  last_seq: number;
  submitted_at: number;
  t_run: number | null;
  t_cleanup: number | null;
  updated_at: number;
}

/** The columns of a `jobs` row that events change. */
export type DerivedRow = Pick<
  JobRow,
  | 'state'
  | 'result'
  | 'returncode'
  | 'waitstatus'
  | 'exception_type'
  | 'exception_severity'
  | 'exception_note'
  | 'urgency'
  | 't_run'
  | 't_cleanup'
  | 'last_seq'
  | 'attempt'
  | 'attempt_seq'
>;

/** A row of `events`. */
export interface EventRow {
  seq: number;
  attempt: number;
  name: string;
  timestamp: number;
  context: string | null;
}

/** A row of `dependencies`. */
export interface DependencyRow {
  jobid: string;
  depends_on: string;
  kind: string;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * The decimal text under which the store keeps a job id.
 *
 * @throws {@link InvalidArgumentError} (`jobid`) if it is neither a JobID nor a bigint in [0, 2^64).
 */
export function toKey(jobid: JobIdLike): string {
  if (jobid instanceof JobID) return jobid.dec;
  if (typeof jobid === 'bigint' && jobid >= 0n && jobid <= U64_MAX) return jobid.toString();
  throw new InvalidArgumentError('jobid', `must be a JobID or a bigint in [0, 2^64), got ${String(jobid)}`);
}

/** The JobID of a stored key. */
export function fromKey(key: string): JobID {
  return new JobID(BigInt(key));
}

/** The F58 form of a stored key, for messages. */
export function keyF58(key: string): string {
  return fromKey(key).f58;
}

/** The derived columns of a row, as the input of `applyEvent`. */
export function derivedOf(row: DerivedRow): DerivedState {
  const exception = exceptionOf(row);
  return {
    state: row.state as JobState,
    result: (row.result ?? undefined) as JobResultName | undefined,
    returncode: row.returncode ?? undefined,
    waitstatus: row.waitstatus ?? undefined,
    exception,
    // The reactor ends a job in the same call that reports its `finish`, so no exception ever
    // falls between `finish` and `clean` in a store.
    fatalBeforeFinish: exception !== undefined,
    urgency: row.urgency,
    tRun: row.t_run ?? undefined,
    tCleanup: row.t_cleanup ?? undefined,
  };
}

function exceptionOf(row: DerivedRow): JobException | undefined {
  if (row.exception_type === null) return undefined;
  return { type: row.exception_type, severity: row.exception_severity ?? 0, note: row.exception_note ?? '' };
}

/** Builds a record from its row and its dependency rows. */
export function recordOf(row: JobRow, deps: readonly DependencyRow[]): JobRecord {
  const rec: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
    jobid: fromKey(row.jobid),
    name: row.name,
    backend: row.backend,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
    urgency: row.urgency,
    state: row.state as JobState,
    attempt: row.attempt,
    attemptSeq: row.attempt_seq,
    lastSeq: row.last_seq,
    submittedAt: row.submitted_at,
    updatedAt: row.updated_at,
    dependencies: deps.map(
      (d): Dependency => ({ jobid: fromKey(d.depends_on), kind: d.kind as DependencyKind }),
    ),
  };
  // Optional fields are left out rather than set to undefined, so records print and compare cleanly.
  if (row.result !== null) rec.result = row.result as JobResultName;
  if (row.returncode !== null) rec.returncode = row.returncode;
  if (row.waitstatus !== null) rec.waitstatus = row.waitstatus;
  const exception = exceptionOf(row);
  if (exception) rec.exception = exception;
  if (row.native_id !== null) rec.nativeId = row.native_id;
  if (row.stdout !== null) rec.stdout = row.stdout;
  if (row.stderr !== null) rec.stderr = row.stderr;
  if (row.log_dir !== null) rec.logDir = row.log_dir;
  if (row.cwd !== null) rec.cwd = row.cwd;
  if (row.array_id !== null) rec.arrayId = fromKey(row.array_id);
  if (row.array_index !== null) rec.arrayIndex = row.array_index;
  const owner = decodeOwner(row.owner);
  if (owner) rec.owner = owner;
  if (row.t_run !== null) rec.tRun = row.t_run;
  if (row.t_cleanup !== null) rec.tCleanup = row.t_cleanup;
  return rec;
}

/** Builds a stored event from its row. */
export function eventOf(row: EventRow): StoredEvent {
  const ev: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
    seq: row.seq,
    attempt: row.attempt,
    name: row.name,
    timestamp: row.timestamp,
  };
  if (row.context !== null) ev.context = JSON.parse(row.context) as Record<string, unknown>;
  return ev;
}
