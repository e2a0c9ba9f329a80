/**
 * The shapes that go into and come out of the job store.
 */
import type { DependencyKind, JobEventName, JobException, JobResultName, JobState } from '../core/types.js';
import type { JobID } from '../ids/index.js';

/**
 * A job id as the store accepts it: a {@link JobID} or its bigint value. The store keeps ids as
 * decimal text, so every 64-bit id round-trips exactly.
 */
export type JobIdLike = JobID | bigint;

export type { DependencyKind };

/** One dependency edge: the job waits for {@link Dependency.jobid}. */
export interface Dependency {
  /** The job waited for. */
  readonly jobid: JobID;
  /** `afterok`: it must complete successfully; `afterany`: it must only end. */
  readonly kind: DependencyKind;
}

/** A dependency as given to {@link NewJob}. */
export interface NewDependency {
  /** The job waited for; it must already be in the store. */
  readonly jobid: JobIdLike;
  /** See {@link Dependency.kind}. */
  readonly kind: DependencyKind;
}

/**
 * The process that runs a job (drives it on its backend). Recorded with the job so that a later
 * process can tell whether the owner died and take the job over (`JobStore.claimOrphans`).
 * Two owners are the same when all four fields are equal.
 */
export interface Owner {
  /** Process id. */
  readonly pid: number;
  /** Host name (`os.hostname()`). */
  readonly host: string;
  /** Linux boot id (`/proc/sys/kernel/random/boot_id`); empty where unknown. */
  readonly bootId: string;
  /**
   * The process's start time: on Linux, field 22 of `/proc/PID/stat` (clock ticks since boot),
   * which tells a live owner from a later process that reused its pid; empty where unknown.
   */
  readonly startTime: string;
}

/** An event to append. The name is one of {@link JobEventName} or any other string. */
export interface NewEvent {
  /** Event name, e.g. `start`. Names the store does not know are kept but change nothing. */
  readonly name: JobEventName | (string & {});
  /** Float seconds since the Unix epoch. */
  readonly timestamp: number;
  /** Event context; stored as JSON, so it must be JSON-serializable. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** An event as stored. */
export interface StoredEvent extends NewEvent {
  /** Position in the job's eventlog: 1, 2, 3, ... across all attempts; never reused. */
  readonly seq: number;
  /** The attempt the event belongs to (1 for the first run; +1 per `JobStore.requeue`). */
  readonly attempt: number;
}

/** An event of some job, as given to `JobStore.appendEvents`. */
export interface JobEventInput extends NewEvent {
  /** The job it belongs to. */
  readonly jobid: JobIdLike;
}

/** A job to insert with `JobStore.insertJob`. */
export interface NewJob {
  /** The job id; must not be in the store yet. */
  readonly jobid: JobIdLike;
  /** The job name (Flux `attributes.system.job.name`, or the command's basename). */
  readonly name: string;
  /** The backend that runs it: `local`, `slurm`, ... */
  readonly backend: string;
  /** The jobspec as a plain JSON-serializable object (`Jobspec.toJSON()`). */
  readonly spec: object;
  /**
   * Urgency 0 (held) to 31 (expedite). Default 16. An `urgency` in the context of a `submit` event
   * in {@link NewJob.events} takes precedence (events are the record; the column follows them).
   */
  readonly urgency?: number;
  /** Jobs this one waits for. Each must be in the store (or in the same `insertJobs` batch, earlier). */
  readonly dependencies?: readonly NewDependency[];
  /** Absolute path of the stdout file. */
  readonly stdout?: string;
  /** Absolute path of the stderr file (may equal `stdout`). */
  readonly stderr?: string;
  /** The directory the logs go to (informational: `jobf show` prints it). */
  readonly logDir?: string;
  /** The working directory the job runs in. */
  readonly cwd?: string;
  /** For a task of an array: the id that names the whole array (its first task's id). */
  readonly arrayId?: JobIdLike;
  /** For a task of an array: its index. */
  readonly arrayIndex?: number;
  /** The process that will run it; omitted or null: nobody yet (queued for `jobf execute`). */
  readonly owner?: Owner | null;
  /** The backend's id, if already known. */
  readonly nativeId?: string;
  /** Submit time, float seconds since the epoch. Default: now. */
  readonly submittedAt?: number;
  /**
   * Events to append in the same transaction, usually `[{ name: 'submit', ... }]`, so that a job
   * is never visible without its first event.
   */
  readonly events?: readonly NewEvent[];
}

/** A job as stored: its spec, where it stands, and what became of it. */
export interface JobRecord {
  /** The job id. */
  readonly jobid: JobID;
  /** The job name. */
  readonly name: string;
  /** The backend that runs it. */
  readonly backend: string;
  /** The jobspec, parsed from JSON (a plain object; `Jobspec.fromObject` makes it a Jobspec). */
  readonly spec: Record<string, unknown>;
  /** Urgency 0 (held) to 31; kept current by `urgency` events. */
  readonly urgency: number;
  /** State, derived from the events of the current attempt as Flux derives it. */
  readonly state: JobState;
  /** Result, once the job is INACTIVE. */
  readonly result?: JobResultName;
  /** Exit code, or minus the signal number; -128 if canceled before it ran; absent if unknown. */
  readonly returncode?: number;
  /** Raw wait status of the `finish` event, if the job finished. */
  readonly waitstatus?: number;
  /** The first fatal (severity 0) exception of the current attempt, if any. */
  readonly exception?: JobException;
  /** The backend's id (pid, Slurm job id), once known. */
  readonly nativeId?: string;
  /** Absolute path of the stdout file. */
  readonly stdout?: string;
  /** Absolute path of the stderr file. */
  readonly stderr?: string;
  /** The log directory. */
  readonly logDir?: string;
  /** The working directory. */
  readonly cwd?: string;
  /** The array this job is a task of (the first task's id). */
  readonly arrayId?: JobID;
  /** Index within the array. */
  readonly arrayIndex?: number;
  /**
   * The process that runs it, or last ran it (a finished job keeps its last owner); absent while
   * nobody has claimed it since it was submitted or requeued.
   */
  readonly owner?: Owner;
  /** Current attempt: 1, then +1 for each `requeue`. */
  readonly attempt: number;
  /** Seq of the first event of the current attempt: replay from here to follow the current run. */
  readonly attemptSeq: number;
  /** Seq of the last event (0 if none). */
  readonly lastSeq: number;
  /** Submit time of the first attempt, float seconds since the epoch. */
  readonly submittedAt: number;
  /** When the current attempt started running (`start` event). */
  readonly tRun?: number;
  /** When the current attempt became INACTIVE (`clean` event). */
  readonly tCleanup?: number;
  /** Last change to the row. */
  readonly updatedAt: number;
  /** The jobs this one waits for. */
  readonly dependencies: readonly Dependency[];
}

/** Which jobs `JobStore.list` returns. Every given field must match (AND); arrays mean "any of". */
export interface JobFilter {
  /** State or states. */
  readonly state?: JobState | readonly JobState[];
  /** Result or results (only INACTIVE jobs have one). */
  readonly result?: JobResultName | readonly JobResultName[];
  /** Exact name or names. */
  readonly name?: string | readonly string[];
  /** Backend name or names. */
  readonly backend?: string | readonly string[];
  /** Only these ids (unknown ones are simply absent from the answer). */
  readonly ids?: readonly JobIdLike[];
  /** Only tasks of this array. */
  readonly arrayId?: JobIdLike;
}

/** Options of {@link JobStore.claimOrphans}. */
export interface ClaimOptions {
  /** Only jobs of this backend. Default: all backends. */
  readonly backend?: string;
  /** Also claim active jobs that have no owner at all (queued by `jobf submit`). Default true. */
  readonly includeUnowned?: boolean;
  /** Only jobs among these (an empty list claims nothing). Default: any job. */
  readonly ids?: readonly JobIdLike[];
}

export type { JobEventName, JobException, JobResultName, JobState };
