import { EventEmitter } from 'eventemitter3';
import { JobID } from '../ids/index.js';
import { Jobspec } from '../jobspec/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import { Reactor, type JobRef } from '../reactor/reactor.js';
import type { Backend } from '../core/backend.js';
import { DEFAULT_BACKEND, createBackend, type BackendName, type BackendOptionsMap } from '../backends/registry.js';
import type { CommonBackendOptions } from '../core/plugin.js';
import { ExecutorShutdownError } from './errors.js';
import { UnknownJobError } from '../core/errors.js';
import { StoreJournal } from '../durable/journal.js';
import { StoreTakeover, type RecoveryReport } from '../durable/takeover.js';
import { storeLogDir } from '../durable/log-dir.js';
import { JobStore, currentOwner, type JobFilter, type JobRecord, type Owner } from '../store/index.js';
import { onProcessExit } from './exit-cleanup.js';
import { JobFuture } from './future.js';
import { EventRecordQueue, type JobEventRecord } from './event-queue.js';
import { OrderedWindow, UnorderedWindow, closeSource, specSource } from './map-window.js';
import type { JobEvent, JobResult } from '../core/types.js';

export type { JobEventRecord } from './event-queue.js';

/** The executor's own options, whatever the backend (see {@link JobExecutorOptions}). */
export interface ExecutorOptions extends CommonBackendOptions {
  /** Reject futures whose result is not COMPLETED with {@link JobFailedError}. Default false. */
  readonly rejectOnFailure?: boolean;
  /**
   * Keep every job in this SQLite store (a path, or an open {@link JobStore}): the jobspec, every
   * event, the native id and the result. Opening a store whose previous owner died takes its jobs
   * over (see {@link JobExecutor.recovered}). With a store, local jobs outlive this process and
   * `logDir` defaults to `.jobf-logs` beside the store file. Default: no store.
   */
  readonly store?: string | JobStore;
  /**
   * With a store: take over, when the executor is made, the active jobs whose owner died (see
   * {@link JobExecutor.recovered}). Default true. With false, stored jobs are taken over only when
   * asked for ({@link JobExecutor.attach}, {@link JobExecutor.runQueued}).
   */
  readonly recover?: boolean;
}

/**
 * Options of {@link JobExecutor}: its own ({@link ExecutorOptions}), `backend` — a built-in
 * backend's name (default `local`) or a {@link Backend} instance — and that backend's own typed
 * options beside them (e.g. `maxCores` for `local`, `partition` for `slurm`).
 */
export type JobExecutorOptions =
  | (ExecutorOptions & { readonly backend?: typeof DEFAULT_BACKEND } & BackendOptionsMap[typeof DEFAULT_BACKEND])
  | { [K in BackendName]: ExecutorOptions & { readonly backend: K } & BackendOptionsMap[K] }[BackendName]
  | (ExecutorOptions & { readonly backend: Backend });

/** Options of {@link JobExecutor.submit}. */
export interface SubmitOptions {
  /** 0 (held until raised) to 31 (runs first); ties run in submit order. Default 16. */
  readonly urgency?: number;
  /** Cancels the job when aborted (pending jobs never start; running ones are ended). */
  readonly signal?: AbortSignal;
  /** Jobs that must complete first (`afterok`); if one ends otherwise, this job gets a `dependency` exception. */
  readonly dependsOn?: readonly (JobID | JobFuture | string)[];
  /** Jobs that must end first, whatever their result (`afterany`). */
  readonly dependsOnAny?: readonly (JobID | JobFuture | string)[];
}

/** Options of {@link JobExecutor.map}. */
export interface MapOptions {
  /** Yield results in the order of the specs (true, default) or as jobs complete (false). */
  readonly ordered?: boolean;
  /** At most this many jobs submitted and not yet yielded. Default 1024. */
  readonly maxInFlight?: number;
  /** Stops submitting and cancels the jobs in flight when aborted. */
  readonly signal?: AbortSignal;
}

/** Options of {@link JobExecutor.shutdown}. */
export interface ShutdownOptions {
  /** Wait for every job to become inactive before resolving. Default true. */
  readonly wait?: boolean;
  /** Cancel the jobs that have not started yet. Default false. */
  readonly cancelFutures?: boolean;
}


/** Events of {@link JobExecutor} (eventemitter3). */
export interface JobExecutorEvents {
  /** Every event of every job. */
  event: [jobid: JobID, event: JobEvent];
  /**
   * A poll of a polling backend failed (e.g. the scheduler's controller is restarting). It is
   * retried with backoff and never fails jobs; `consecutiveFailures` counts the failures in a row.
   */
  'poll-error': [error: unknown, consecutiveFailures: number];
}

/**
 * `concurrent.futures` for batch jobs: submit {@link Jobspec}s to a backend and get {@link JobFuture}s.
 * Built on the {@link Reactor} (one engine, two faces).
 *
 * ```ts
 * await using ex = new JobExecutor({ backend: 'local' });
 * const r = await ex.submit(Jobspec.fromCommand(['./sim', '--seed', '7']));
 * ```
 */
export class JobExecutor extends EventEmitter<JobExecutorEvents> {
  /** The engine underneath, for the low-level callback API. */
  readonly reactor: Reactor;
  private readonly rejectOnFailure: boolean;
  private shut = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly unregisterExit: () => void;
  private stopEventForwarding: (() => void) | undefined;
  /** The job store, when the executor was given one. */
  readonly store: JobStore | undefined;
  private readonly ownsStore: boolean;
  private readonly owner: Owner | undefined;
  private readonly journal: StoreJournal | undefined;
  private readonly takeover: StoreTakeover | undefined;
  /** What opening the store took over from a dead owner (empty without a store). */
  readonly recovered: RecoveryReport;

  constructor(options: JobExecutorOptions = {}) {
    super();
    const storeOption = options.store;
    this.store = storeOption === undefined ? undefined : typeof storeOption === 'string' ? JobStore.open(storeOption) : storeOption;
    this.ownsStore = typeof storeOption === 'string';
    const logDir = options.logDir ?? (typeof storeOption === 'string' ? storeLogDir(storeOption) : undefined);
    const backend =
      typeof options.backend === 'object'
        ? options.backend
        : createBackend(options.backend ?? DEFAULT_BACKEND, { ...options, ...(logDir !== undefined && { logDir }), ...(this.store && { persistent: true }) });
    let journal: StoreJournal | undefined;
    if (this.store) {
      this.owner = currentOwner();
      journal = new StoreJournal(this.store, backend.name, this.owner, () => logDir ?? (backend as { logDir?: string }).logDir);
    }
    this.reactor = new Reactor({ backend, ...(journal && { journal }) });
    journal?.bind(this.reactor);
    this.journal = journal;
    this.rejectOnFailure = options.rejectOnFailure ?? false;
    this.unregisterExit = onProcessExit(() => backend.terminateAllSync?.());
    this.reactor.onPollError((error, failures) => this.emit('poll-error', error, failures));
    this.takeover = this.store && new StoreTakeover(this.store, this.reactor, this.owner!);
    this.recovered = this.takeover && (options.recover ?? true) ? this.takeover.takeOver(false) : { claimed: 0, jobs: [], left: [] };
  }

  /**
   * Runs the jobs queued in the store that nobody owns (as `jobf submit` queues local jobs), or only
   * those in `ids`; dependencies and urgency are honoured. Needs a store. Returns their futures.
   */
  runQueued(ids?: readonly JobID[]): JobFuture[] {
    this.requireStore('runQueued');
    const report = this.takeover!.takeOver(true, ids);
    return report.jobs.map((id) => new JobFuture(this.reactor, this.reactor.lookup(id), undefined, this.rejectOnFailure));
  }

  /** Jobs in the store, filtered (needs a store). */
  list(filter: JobFilter = {}): JobRecord[] {
    return this.requireStore('list').list(filter);
  }

  /** One job from the store, or undefined (needs a store). */
  get(jobid: JobID | string): JobRecord | undefined {
    return this.requireStore('get').get(typeof jobid === 'string' ? JobID.parse(jobid) : jobid);
  }

  private requireStore(what: string): JobStore {
    if (!this.store) throw new InvalidArgumentError('options.store', `${what}() needs an executor opened with a store`);
    return this.store;
  }

  /** The error of the backend's last poll, if it failed (undefined once a poll succeeds again). */
  get lastPollError(): unknown {
    return this.reactor.lastPollError;
  }

  /** The backend this executor drives. */
  get backend(): Backend {
    return this.reactor.backend;
  }

  /**
   * Submits a job and returns its future at once. A job that can never get an id (an invalid spec,
   * an impossible request such as more cores than the executor has, an unknown dependency) gives a
   * future that rejects with a typed error, and leaves no trace. After {@link shutdown} it throws
   * {@link ExecutorShutdownError}.
   *
   * `spec` may be a {@link Jobspec} or a plain Jobspec V1 object (validated here).
   */
  submit(spec: Jobspec | object, options: SubmitOptions = NO_OPTIONS): JobFuture {
    if (this.shut) throw new ExecutorShutdownError();
    let job: JobRef;
    try {
      const jobspec = spec instanceof Jobspec ? spec : Jobspec.fromObject(spec);
      if (options.signal?.aborted) throw new InvalidArgumentError('options.signal', 'is already aborted');
      const dependsOn = options.dependsOn?.map((d, i) => this.refOf(d, `dependsOn[${i}]`));
      const dependsOnAny = options.dependsOnAny?.map((d, i) => this.refOf(d, `dependsOnAny[${i}]`));
      job = this.reactor.submitRef(
        jobspec,
        dependsOn || dependsOnAny ? { ...(options.urgency !== undefined && { urgency: options.urgency }), ...(dependsOn && { dependsOn }), ...(dependsOnAny && { dependsOnAny }) } : (options as { urgency?: number }),
      );
    } catch (error) {
      return new JobFuture(this.reactor, -1, error, this.rejectOnFailure);
    }
    const future = new JobFuture(this.reactor, job, undefined, this.rejectOnFailure);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.reactor.cancel(job, abortNote(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      future._onDone(() => signal.removeEventListener('abort', onAbort));
    }
    return future;
  }

  /**
   * A future for a job: one of this executor's (by JobID, F58 or any RFC 19 encoding), or, on
   * backends that can follow foreign jobs (Slurm), a job submitted elsewhere by its native id.
   */
  attach(jobid: JobID | string): JobFuture {
    const known = this.tryRef(jobid);
    if (known >= 0) return new JobFuture(this.reactor, known, undefined, this.rejectOnFailure);
    const id = toJobID(jobid);
    const stored = id && this.takeover?.claim(id);
    if (stored !== undefined) return new JobFuture(this.reactor, stored, undefined, this.rejectOnFailure);
    if (typeof jobid === 'string' && this.backend.capabilities.adopt) {
      const placeholder = Jobspec.fromCommand([`attached:${jobid}`]);
      const job = this.reactor.adopt(jobid, placeholder);
      return new JobFuture(this.reactor, job, undefined, this.rejectOnFailure);
    }
    throw new UnknownJobError(String(jobid), 'jobid');
  }

  /** Cancels a job. Returns whether it took effect. */
  cancel(jobid: JobID | string, reason?: string): boolean {
    return this.reactor.cancel(this.refOf(jobid, 'jobid'), reason);
  }

  /** Sends a signal to a running job. Returns false if it is not running. */
  kill(jobid: JobID | string, signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.reactor.killJob(this.refOf(jobid, 'jobid'), signal);
  }

  /** Changes a pending job's urgency (0 holds it; raising it releases it). */
  setUrgency(jobid: JobID | string, urgency: number): boolean {
    return this.reactor.setJobUrgency(this.refOf(jobid, 'jobid'), urgency);
  }

  /**
   * Runs every spec and yields the results, never holding more than `maxInFlight` jobs submitted
   * and not yet yielded. Specs may come from a (lazy) iterable or async iterable. Once the window
   * is full it is refilled in chunks of `maxInFlight / 16` jobs (at most 256, at least 1), so a
   * large fan-out reaches the backend in batches rather than one job per result.
   */
  async *map(specs: Iterable<Jobspec> | AsyncIterable<Jobspec>, options: MapOptions = {}): AsyncGenerator<JobResult, void, undefined> {
    const ordered = options.ordered ?? true;
    const maxInFlight = options.maxInFlight ?? 1024;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new InvalidArgumentError('options.maxInFlight', `must be a positive integer, got ${String(maxInFlight)}`);
    const window = ordered ? new OrderedWindow() : new UnorderedWindow();
    const refill = Math.max(1, Math.min(256, Math.floor(maxInFlight / 16)));
    const signal = options.signal;
    // A plain iterable is read synchronously: `for await` over an array costs a promise per spec.
    const source = specSource(specs);
    let exhausted = false;
    try {
      for (;;) {
        // Refill in chunks once the window is full: the jobs of a chunk reach the backend in one
        // hand-over instead of one per result (small windows still refill one by one).
        if (!exhausted && window.size <= maxInFlight - refill) {
          while (!exhausted && window.size < maxInFlight) {
            const next = source.sync ? source.sync.next() : await source.async.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            if (signal?.aborted) throw signal.reason;
            window.add(this.submit(next.value));
          }
        }
        if (window.size === 0) return;
        const future = window.peekNext() ?? ((await window.nextDone()).value as JobFuture);
        // A future already settled is read directly; only a pending (or rejecting) one is awaited.
        const result = future._fulfilledResult() ?? (await future);
        window.remove(future);
        yield result;
      }
    } finally {
      window.cancelAll('map() stopped');
      if (!exhausted) await closeSource(source);
    }
  }

  /**
   * Every event of every job from now on, until the executor shuts down or the consumer stops.
   */
  watch(options: { signal?: AbortSignal } = {}): AsyncIterable<JobEventRecord> {
    const reactor = this.reactor;
    return {
      [Symbol.asyncIterator]: () => {
        const queue = new EventRecordQueue(reactor);
        const off = reactor.onRawEvent((job, code, t, ctx) => queue.push(job, code, t, ctx));
        const onShutdown = () => queue.end();
        this.once('__shutdown' as 'event', onShutdown as never);
        const onAbort = () => queue.end();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        queue.onReturn = () => {
          off();
          this.off('__shutdown' as 'event', onShutdown as never);
          options.signal?.removeEventListener('abort', onAbort);
        };
        if (this.shut) queue.end();
        return queue;
      },
    };
  }

  override on<T extends EventEmitter.EventNames<JobExecutorEvents>>(event: T, fn: EventEmitter.EventListener<JobExecutorEvents, T>, context?: unknown): this {
    super.on(event, fn, context);
    if (event === 'event') this.forwardEvents();
    return this;
  }

  override addListener<T extends EventEmitter.EventNames<JobExecutorEvents>>(event: T, fn: EventEmitter.EventListener<JobExecutorEvents, T>, context?: unknown): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<JobExecutorEvents>>(event: T, fn: EventEmitter.EventListener<JobExecutorEvents, T>, context?: unknown): this {
    super.once(event, fn, context);
    if (event === 'event') this.forwardEvents();
    return this;
  }

  /** Forwards reactor events to `on('event')` listeners only while there are any (no cost otherwise). */
  private forwardEvents(): void {
    if (this.stopEventForwarding) return;
    const reactor = this.reactor;
    this.stopEventForwarding = reactor.onRawEvent((job, code, t, ctx) => {
      if (this.listenerCount('event') === 0) {
        this.stopEventForwarding?.();
        this.stopEventForwarding = undefined;
        return;
      }
      this.emit('event', reactor.jobid(job), reactor.toEvent(job, code, t, ctx));
    });
  }

  /**
   * Stops accepting jobs. With `cancelFutures`, jobs that have not started are canceled; with
   * `wait` (default), resolves once every job is inactive and the backend is closed.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const wait = options.wait ?? true;
    this.shut = true;
    if (options.cancelFutures) {
      const reactor = this.reactor;
      for (let job = 0; job < reactor.totalJobs; job++) {
        const state = reactor.stateOf(job);
        if (state !== 'RUN' && state !== 'CLEANUP' && state !== 'INACTIVE') reactor.cancel(job, 'executor shut down');
      }
    }
    this.shutdownPromise ??= (async () => {
      await this.reactor.run();
      this.emit('__shutdown' as 'event', ...([] as unknown as [JobID, JobEvent]));
      await this.reactor.close();
      this.unregisterExit();
      if (this.store && this.ownsStore) this.store.close();
    })();
    return wait ? this.shutdownPromise : Promise.resolve();
  }

  /**
   * Lets go of the jobs without ending them or waiting for them, and closes the executor: polling
   * stops, the backend is closed, and the jobs stay in the store as they are, owned by this
   * process, so that a process opening the store after this one exits takes them over (Slurm jobs
   * go on running in Slurm). Needs a store. Futures of jobs still active never settle.
   *
   * Call it once every job was handed over (e.g. has a native id): jobs still waiting to be handed
   * over are not. The local backend ends the processes it started itself when it closes (only jobs
   * it follows for a dead owner are left running), so this is meant for Slurm executors and for
   * local executors that only follow jobs.
   *
   * The exit-time cleanup (which ends the backend's processes on SIGINT/SIGTERM) is removed at
   * once, synchronously; the rest resolves when the backend is closed.
   */
  detach(): Promise<void> {
    const store = this.requireStore('detach');
    this.shut = true;
    this.unregisterExit();
    this.journal?.flush();
    this.shutdownPromise ??= (async () => {
      this.emit('__shutdown' as 'event', ...([] as unknown as [JobID, JobEvent]));
      await this.reactor.close();
      this.journal?.flush();
      if (this.ownsStore) store.close();
    })();
    return this.shutdownPromise;
  }

  /** `await using ex = new JobExecutor()`: shuts down and waits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** Whether {@link shutdown} was called. */
  get isShutdown(): boolean {
    return this.shut;
  }

  private tryRef(jobid: JobID | JobFuture | string): JobRef {
    const id = jobid instanceof JobFuture ? jobid.id : toJobID(jobid);
    return id ? this.reactor.lookup(id) : -1;
  }

  private refOf(jobid: JobID | JobFuture | string, argument: string): JobRef {
    const job = this.tryRef(jobid);
    if (job < 0) {
      const text = jobid instanceof JobFuture ? (jobid.id?.f58 ?? '(rejected future)') : typeof jobid === 'string' ? jobid : jobid.f58;
      throw new UnknownJobError(text, argument);
    }
    return job;
  }
}

/** The options of a submit given none (shared: no object per job on the fan-out path). */
const NO_OPTIONS: SubmitOptions = Object.freeze({});

/** A JobID from an id or any RFC 19 text; undefined for text that is not one (e.g. a Slurm id to adopt). */
function toJobID(jobid: JobID | string): JobID | undefined {
  if (jobid instanceof JobID) return jobid;
  try {
    return JobID.parse(jobid);
  } catch {
    return undefined;
  }
}

function abortNote(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return `aborted: ${reason.message}`;
  return reason === undefined ? 'aborted' : `aborted: ${String(reason)}`;
}
