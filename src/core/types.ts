import type { JobID } from '../ids/index.js';

/**
 * Names of the events in a job's main eventlog, as in Flux (RFC 21). They are emitted in this order
 * for a job that runs: `submit validate depend priority alloc start finish release free clean`;
 * `exception` may appear anywhere before `clean`.
 */
export type JobEventName =
  | 'submit'
  | 'validate'
  | 'depend'
  | 'priority'
  | 'alloc'
  | 'start'
  | 'finish'
  | 'release'
  | 'free'
  | 'clean'
  | 'exception'
  | 'urgency';

/** One entry of a job's eventlog. */
export interface JobEvent {
  /** Event name. */
  readonly name: JobEventName;
  /** Wall-clock time in float seconds since the Unix epoch (Flux's convention). */
  readonly timestamp: number;
  /** Event context, e.g. `{ status }` for `finish`, `{ type, severity, note }` for `exception`. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** Job states of RFC 21. */
export type JobState = 'NEW' | 'DEPEND' | 'PRIORITY' | 'SCHED' | 'RUN' | 'CLEANUP' | 'INACTIVE';

/** Final result of a job, derived from its events as Flux derives it. */
export type JobResultName = 'COMPLETED' | 'FAILED' | 'CANCELED' | 'TIMEOUT';

/** The `exception` event that decided a job's fate. */
export interface JobException {
  /** `cancel`, `timeout`, `exec`, `dependency`, `lost`, ... */
  readonly type: string;
  /** 0 is fatal (the job goes to CLEANUP); 1-7 are informational. */
  readonly severity: number;
  /** A human readable explanation. */
  readonly note: string;
}

/** What a finished job resolves to. */
export interface JobResult {
  /** The job's id. */
  readonly jobid: JobID;
  /** The backend's own id (a pid on the local backend, a Slurm job id on Slurm), if it got one. */
  readonly nativeId?: string;
  /** COMPLETED, FAILED, CANCELED or TIMEOUT. */
  readonly result: JobResultName;
  /** The exit code; minus the signal number when killed by a signal; -128 if canceled before it ran. */
  readonly returncode: number;
  /** The raw wait status of the `finish` event, when the job ran. */
  readonly waitstatus?: number;
  /** The fatal exception, if one ended the job. */
  readonly exception?: JobException;
  /** Submit time (float seconds since the epoch). */
  readonly tSubmit: number;
  /** Start time, if the job started. */
  readonly tRun?: number;
  /** Clean time (the job became inactive). */
  readonly tCleanup: number;
}

/**
 * How a job waits for another (Slurm's and Flux's names): `afterok` — the other job must complete
 * successfully, else this one gets a `dependency` exception; `afterany` — it must only end.
 */
export type DependencyKind = 'afterok' | 'afterany';
