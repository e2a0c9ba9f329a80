import type { JobID } from '../ids/index.js';
import type { Jobspec } from '../jobspec/index.js';
import type { DependencyKind, JobException } from './types.js';

/**
 * A job as the engine and its backend refer to it: a small integer, dense and never reused within
 * one engine. Using numbers instead of objects keeps the hot path free of per-job allocations.
 */
export type JobHandle = number;

/**
 * When the events after `finish` (or after a fatal exception of a job that never ran) happened,
 * for a backend whose engine reports each of them with its own time (Flux's eventlog). Each one
 * missing takes the time of the call.
 */
export interface EndTimes {
  /** `release`. */
  readonly release?: number;
  /** `free`. */
  readonly free?: number;
  /** `clean` (the job becomes inactive). */
  readonly clean?: number;
}

/**
 * What the engine offers a backend: read access to the jobs it was handed, and the calls through
 * which it reports what happened to them. Every call may be made synchronously from inside
 * {@link Backend.submit} or {@link Backend.cancel}; the engine copes with re-entrancy.
 *
 * Timestamps are float seconds since the Unix epoch; when omitted the engine uses "now".
 */
export interface BackendHost {
  /** The job's jobspec (frozen). */
  spec(job: JobHandle): Jobspec;
  /** The job's id. Allocates a JobID object: avoid on hot paths. */
  jobid(job: JobHandle): JobID;
  /** The job's urgency, 0 (held) to 31 (expedite); 16 by default. */
  urgency(job: JobHandle): number;
  /**
   * The jobs this one waits for with the given kind of dependency. A backend is handed a job
   * that still has dependencies only when it resolves every kind the job uses natively
   * ({@link BackendCapabilities.nativeDependencies}); it then reads them here.
   */
  dependencies(job: JobHandle, kind: DependencyKind): readonly JobHandle[];
  /** The backend's own id of a job, once known. */
  nativeId(job: JobHandle): string | undefined;
  /** Records the backend's own id of a job (a pid, a Slurm job id). */
  setNativeId(job: JobHandle, nativeId: string): void;
  /**
   * The first fatal exception raised on the job so far (e.g. the `cancel` or `dependency` the
   * engine raised before calling {@link Backend.cancel}), so that a backend can pass it on as it is.
   * (Optional for hosts other than the engine, e.g. test doubles.)
   */
  fatalException?(job: JobHandle): JobException | undefined;

  /**
   * One of the job's queueing events as the backend's engine logged it: `submit`, `validate`,
   * `depend`, `priority` (again after each urgency change) and `urgency`, with the engine's own
   * timestamp and context, in the engine's order. Only for a backend with
   * {@link BackendCapabilities.reportsQueueEvents}; an event already recorded (same name and
   * time, e.g. a past eventlog read again after a take-over) is ignored. (Optional for hosts other
   * than the engine, e.g. test doubles.)
   */
  queued?(job: JobHandle, name: QueueEventName, t: number, context?: Readonly<Record<string, unknown>>): void;

  /**
   * Resources were granted (`alloc`). Optional: {@link started} implies it. The `context` is kept
   * as the event's only for a backend with {@link BackendCapabilities.reportsQueueEvents} (else
   * the engine's standard one, the cores, is used).
   */
  alloc(job: JobHandle, context?: Record<string, unknown>, t?: number): void;
  /** The job's processes are running (`start`); emits `alloc` first if it was not emitted. */
  started(job: JobHandle, t?: number): void;
  /**
   * The job's processes ended with this wait status (the largest of its tasks). Emits `finish`,
   * then `release`, `free` and `clean`; fills in `alloc` and `start` if they were never reported,
   * so that observers always see the whole chain. `ends` gives `release`, `free` and `clean`
   * their own times when the backend knows them (else they take `t`).
   */
  finished(job: JobHandle, waitstatus: number, t?: number, ends?: EndTimes): void;
  /**
   * Raises an exception on the job. A fatal one (severity 0) moves it towards CLEANUP: the backend
   * then ends its processes and reports {@link finished}, or {@link abandoned} if it never ran.
   */
  exception(job: JobHandle, type: string, severity: number, note: string, t?: number): void;
  /**
   * The job left the backend without running (after a fatal exception): emits `release`/`free` if
   * allocated, then `clean`, at `t` or at their own times in `ends`.
   */
  abandoned(job: JobHandle, t?: number, ends?: EndTimes): void;
  /** The job went back to the queue (Slurm PREEMPTED, REQUEUED): back to SCHED, not final. */
  requeued(job: JobHandle, t?: number): void;
}

/** The events a backend with {@link BackendCapabilities.reportsQueueEvents} reports through {@link BackendHost.queued}. */
export type QueueEventName = 'submit' | 'validate' | 'depend' | 'priority' | 'urgency';

/** What the store knew of a job whose owner died (see {@link Backend.recover}). */
export interface RecoverInfo {
  readonly nativeId: string | undefined;
  readonly allocated: boolean;
  readonly started: boolean;
}

/** What a backend can do beyond the minimum. */
export interface BackendCapabilities {
  /**
   * The dependency kinds the backend resolves itself (Slurm's `--dependency=afterok:`/`afterany:`,
   * Grid Engine's `-hold_jid` for `afterany`). A job whose dependencies are all of these kinds is
   * handed over at once (it stays DEPEND here until the backend starts it or its dependencies are
   * seen to end); the engine holds any other job in DEPEND itself until its dependencies are met.
   */
  readonly nativeDependencies: readonly DependencyKind[];
  /** The backend supports {@link Backend.adopt}: following a job submitted elsewhere by its native id. */
  readonly adopt: boolean;
  /**
   * The backend's engine raises the `dependency` exception itself, at its own time, on a job it
   * was handed whose native dependency can never be satisfied (Flux); the engine then leaves such a
   * job to the backend instead of raising its own. Default false (Slurm leaves such jobs pending).
   */
  readonly raisesDependencyExceptions?: boolean;
  /**
   * The backend's engine keeps each job's eventlog from its `submit` on (Flux), and the backend
   * reports its `submit`, `validate`, `depend`, `priority` and `urgency` events itself, with their
   * own times and contexts ({@link BackendHost.queued}), as well as its `alloc` context. The engine
   * then emits none of these for the backend's jobs; it fills in `submit` and `validate` (at the
   * time the job was submitted here) only for a job that ends, or gets an exception, before the
   * backend reported its `submit` (refused, canceled before it was sent). Default false: the
   * engine emits them itself as it queues the job (local, Slurm, Grid Engine).
   */
  readonly reportsQueueEvents?: boolean;
}

/** Poll interval bounds for polling backends, in milliseconds. */
export interface PollInterval {
  /** First interval after a submit; default depends on the backend. */
  readonly min: number;
  /** Interval reached when nothing changes for a while. */
  readonly max: number;
}

/**
 * A backend is a plug-in that runs jobs. The engine never knows which one it drives.
 *
 * A backend is either event-driven (it calls the {@link BackendHost} when something happens, as the
 * local backend does) or polling: it implements {@link Backend.poll}, which the engine's background
 * loop calls with all active jobs at once, once per interval.
 */
export interface Backend {
  /** A short name, e.g. `local`, `slurm`. */
  readonly name: string;
  /** What the backend supports. */
  readonly capabilities: BackendCapabilities;
  /** Called once, before anything else. */
  bind(host: BackendHost): void;
  /**
   * Throws a typed error if this spec can never run here (e.g. more cores than the executor has).
   * Called before the job gets an id, so a rejected job leaves no trace.
   */
  check(spec: Jobspec): void;
  /** Hands jobs over (they are now SCHED). Jobs submitted in the same tick come in one call. */
  submit(jobs: readonly JobHandle[]): void;
  /**
   * After a fatal exception (cancel, dependency): forget a pending job ({@link BackendHost.abandoned})
   * or end a running one (then {@link BackendHost.finished}).
   */
  cancel(job: JobHandle): void;
  /**
   * Sends a signal to the job's processes; returns whether it reached them. Called for a running
   * job, and for one handed over but not yet reported started (its processes may exist already,
   * e.g. started by a launcher that has not reported them yet): for such a job, return false and
   * send nothing unless the signal is sure to reach a process that exists (or is being created).
   */
  kill(job: JobHandle, signal: NodeJS.Signals): boolean;
  /** The job's urgency changed (0 holds it; raising it releases it). */
  setUrgency(job: JobHandle, urgency: number): void;
  /**
   * Where the job's stdout and stderr go (absolute paths, templates expanded). `whenWritten`: the
   * files are created only once something is written to them, so a finished job whose file is
   * absent wrote nothing there (the local backend's default output files).
   */
  outputPaths(job: JobHandle): { stdout: string; stderr: string; whenWritten?: boolean };
  /**
   * Takes over a job restored from a store after its owner died: whether it had been given
   * resources (`allocated`), had `started`, and its native id if one was recorded. The backend
   * follows it to its end, submits it again if it can tell it never reached the backend, or raises
   * `lost`. Optional: without it, started jobs can only be followed through `adopt`.
   */
  recover?(job: JobHandle, info: RecoverInfo): void;
  /** Follows a job that already exists on the backend under `nativeId` (only with `capabilities.adopt`). */
  adopt?(job: JobHandle, nativeId: string): void;
  /**
   * Polling backends: one scheduler query for all of `active` (the jobs handed over and not yet
   * inactive). Resolves to whether anything changed, which drives the adaptive interval. A rejected
   * poll is retried with backoff; it must never be turned into job failures by the backend.
   */
  poll?(active: readonly JobHandle[]): Promise<boolean>;
  /** Interval bounds for {@link poll}. */
  readonly pollInterval?: PollInterval;
  /**
   * Synchronously ends every process the backend started on this machine (called when the Node
   * process exits or gets SIGINT/SIGTERM, so that no job process is left behind). Optional.
   */
  terminateAllSync?(): void;
  /** Releases the backend's resources. The engine has ended or abandoned every job before this. */
  close(): Promise<void>;
}
