import { FluidGenerator, type JobID } from '../ids/index.js';
import type { Jobspec } from '../jobspec/index.js';
import type { Backend, BackendHost, EndTimes, JobHandle, QueueEventName } from '../core/backend.js';
import type { DependencyKind, JobEvent, JobException, JobResult, JobState } from '../core/types.js';
import { InvalidArgumentError } from '../util/errors.js';
import { F, type JobRef, JobTable, R, S, T, T_COUNT } from './job-table.js';
import { E, EVENT_NAMES, RESULT_NAMES, type ExtraEvent, type ExtraEventName, contextFacts, fatalException, rebuildEvents, resultOf, resultRecord } from './events.js';
import { type QueueLog, queueLogOf } from './queue-log.js';
import { JOB_STATES, URGENCY, checkUrgency, standardContext } from '../core/lifecycle.js';
import { ReactorFuture } from './reactor-future.js';
import { BackendFeed, type PollErrorListener } from './backend-feed.js';
import { DependencyGraph, resolvesNatively } from './dependency-graph.js';
import { EventBatch, type EventContext } from './event-batch.js';
import { Subscribers, type JobWatcher, type RawEventListener, type ReactorEventListener } from './subscribers.js';
import { Resume, type RestoredJob, replayEvents, resumePoint } from './restore.js';
import { now } from '../util/time.js';
import { ClosedError, UnknownJobError } from '../core/errors.js';

export type { JobRef } from './job-table.js';
export type { PollErrorListener } from './backend-feed.js';
export type { JobWatcher, RawEventListener, ReactorEventListener } from './subscribers.js';
export type { RestoredJob } from './restore.js';

const STATE_NAMES = JOB_STATES;

/** Options of {@link Reactor}. */
export interface ReactorOptions {
  /** The backend that runs the jobs. */
  readonly backend: Backend;
  /** Where job ids come from. Default: a new {@link FluidGenerator} with a random generator id. */
  readonly idGenerator?: FluidGenerator;
  /** How many jobs {@link Reactor.submitMany} hands to the backend per turn of the event loop. Default 8192. */
  readonly chunkSize?: number;
  /** Where jobs and events are recorded as they happen (a persistent store). Default: none. */
  readonly journal?: ReactorJournal;
}

/**
 * A synchronous record of everything that happens (the job store implements it). `created` runs
 * before the backend sees the job; `event` runs for every event as it is recorded, before anything
 * acts on it (so an `alloc` is on disk before the process is spawned).
 */
export interface ReactorJournal {
  /** A new job exists (throwing rejects the submission). */
  created(job: JobRef): void;
  /** An event was recorded. */
  event(job: JobRef, code: number, timestamp: number, context: Readonly<Record<string, unknown>> | undefined): void;
  /** The backend named the job. */
  nativeId(job: JobRef, nativeId: string): void;
}

/** Options of one submission. */
export interface ReactorSubmitOptions {
  /** 0 (held) to 31 (expedite). Default 16. */
  readonly urgency?: number;
  /** Jobs that must complete first (the job waits in DEPEND; if one ends otherwise, the job gets a `dependency` exception). */
  readonly dependsOn?: readonly (JobID | JobRef)[];
  /** Jobs that must end first, whatever their result (Slurm's `afterany`). */
  readonly dependsOnAny?: readonly (JobID | JobRef)[];
}

/** The options of a submit given none (shared: no object per job). */
const NO_OPTIONS: ReactorSubmitOptions = Object.freeze({});

/** Jobs of a fan-out that share one clock read (a power of two). */
const SUBMIT_BLOCK = 256;

/**
 * The engine: Flux's `*_async` job interface in TypeScript. It keeps every job in a compact table,
 * drives the backend, derives states and results from events, and delivers events in batches.
 * {@link JobExecutor} is a second face on the same engine.
 *
 * Jobs are named by {@link JobRef} (an integer) on the hot path and by {@link JobID} in the API.
 * The parts: {@link JobTable} (every job), {@link DependencyGraph} (who waits for whom),
 * {@link BackendFeed} (submit batching and polling), {@link EventBatch} and {@link Subscribers}
 * (event delivery); `restore.ts` decides how a stored job goes on.
 */
export class Reactor implements BackendHost {
  /** The backend this reactor drives. */
  readonly backend: Backend;
  private readonly table = new JobTable();
  private readonly ids: FluidGenerator;
  private readonly chunkSize: number;
  private readonly journal: ReactorJournal | undefined;
  private active = 0;
  private closed = false;

  private readonly graph: DependencyGraph;
  private readonly feed: BackendFeed;
  private readonly subscribers: Subscribers;
  private readonly events: EventBatch;

  // sparse per-job data
  private readonly extras = new Map<JobRef, ExtraEvent[]>();
  private readonly initialUrgency = new Map<JobRef, number>();
  /** `release`/`free` times a backend reported on their own (Flux), for the few jobs that have them. */
  private readonly endTimes = new Map<JobRef, EndTimes>();
  private readonly eventCount: number[] = [];
  /**
   * The backend reports `submit`, `validate`, `depend`, `priority` and `urgency` itself
   * (`capabilities.reportsQueueEvents`): the engine emits none of them, and keeps the backend's
   * times and contexts in {@link queueLogs}.
   */
  private readonly reportsQueue: boolean;
  private readonly queueLogs = new Map<JobRef, QueueLog>();

  private readonly pollErrorListeners: PollErrorListener[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(options: ReactorOptions) {
    this.backend = options.backend;
    this.ids = options.idGenerator ?? new FluidGenerator();
    this.chunkSize = options.chunkSize ?? 8192;
    this.journal = options.journal;
    this.reportsQueue = this.backend.capabilities.reportsQueueEvents === true;
    this.graph = new DependencyGraph(
      this.table,
      (job, t) => {
        if (this.table.flags[job]! & (F.HANDED | F.BATCHED)) this.dependSatisfied(job, t);
        else this.proceedToSched(job, t, undefined);
      },
      (job, dep) => this.dependencyFailed(job, dep),
    );
    this.feed = new BackendFeed(this.backend, this.table, (error, failures) => {
      for (const l of this.pollErrorListeners.slice()) l(error, failures);
    });
    this.subscribers = new Subscribers(this.table, { jobid: (job) => this.jobid(job), contextOf: (job, code) => this.contextOf(job, code) });
    this.events = new EventBatch(this.subscribers, () => {
      if (this.active === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
    this.backend.bind(this);
  }

  // ---------------------------------------------------------------- submission

  /**
   * Submits one job. The returned future resolves to its {@link JobID} (at once: ids are made
   * here), or rejects with a typed error if the job can never run (the job then leaves no trace).
   */
  submitAsync(spec: Jobspec, options: ReactorSubmitOptions = {}): ReactorFuture<JobID> {
    return settled(() => this.jobid(this.submitRef(spec, options)));
  }

  /**
   * Submits one job and returns its {@link JobRef}; throws a typed error (and submits nothing) if
   * the spec can never run here or an option is invalid.
   */
  submitRef(spec: Jobspec, options: ReactorSubmitOptions = NO_OPTIONS): JobRef {
    this.assertOpen();
    const urgency = checkUrgency(options.urgency);
    this.backend.check(spec);
    const deps = this.resolveDependencies(options.dependsOn, 'dependsOn');
    const anyDeps = this.resolveDependencies(options.dependsOnAny, 'dependsOnAny');
    const t = now();
    const job = this.addJob(spec, urgency, t);
    this.ids.nextInto(this.table.idHi, this.table.idLo, job);
    this.graph.declare(job, deps, anyDeps);
    this.announce(job);
    this.advance(job, deps, anyDeps, t);
    return job;
  }

  /**
   * Homogeneous fan-out: submits `count` jobs of the same spec with no per-job objects. The jobs
   * get consecutive {@link JobRef}s; `callback(error, first, count)` is called once they all have ids
   * (a rejected spec submits none). Large counts are handed to the backend in chunks, one chunk per
   * turn of the event loop, so the process stays responsive.
   */
  submitMany(spec: Jobspec, count: number, callback?: (error: unknown, first: JobRef, count: number) => void, options: Omit<ReactorSubmitOptions, 'dependsOn'> = {}): void {
    let first = -1;
    try {
      this.assertOpen();
      if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError('count', `must be a non-negative integer, got ${String(count)}`);
      const urgency = checkUrgency(options.urgency);
      this.backend.check(spec);
      first = this.table.size;
      this.table.reserve(count);
      // Ids and submit times in blocks: one clock read per block of jobs made in the same instant.
      for (let i = 0; i < count; i += SUBMIT_BLOCK) {
        const n = Math.min(SUBMIT_BLOCK, count - i);
        const t = now();
        const start = this.table.size;
        for (let j = 0; j < n; j++) this.addJob(spec, urgency, t);
        this.ids.nextBatchInto(this.table.idHi, this.table.idLo, start, n);
        for (let job = start; job < start + n; job++) this.announce(job);
      }
    } catch (error) {
      if (callback) callback(error, -1, 0);
      else throw error;
      return;
    }
    callback?.(undefined, first, count);
    const end = first + count;
    const step = (from: number): void => {
      const to = Math.min(from + this.chunkSize, end);
      const chunk: JobRef[] = [];
      let t = now();
      for (let job = from; job < to; job++) {
        if (this.table.state[job] !== S.NEW) continue; // canceled meanwhile
        if ((job & (SUBMIT_BLOCK - 1)) === 0) t = now();
        this.proceedToSched(job, t, chunk);
      }
      if (chunk.length > 0) this.feed.handOver(chunk);
      if (this.events.length > 0) this.events.flush();
      if (to < end) setImmediate(step, to);
    };
    step(first);
  }

  /**
   * Follows a job that exists on the backend under its own id (submitted elsewhere). The job gets a
   * new JobID here. Needs a backend with `capabilities.adopt`.
   */
  adopt(nativeId: string, spec: Jobspec): JobRef {
    this.assertOpen();
    if (!this.backend.adopt || !this.backend.capabilities.adopt) throw new InvalidArgumentError('nativeId', `the ${this.backend.name} backend cannot follow jobs submitted elsewhere`);
    const job = this.newJob(spec, URGENCY.DEFAULT);
    this.markQueued(job, now());
    this.table.state[job] = S.SCHED;
    this.table.nativeIds[job] = nativeId;
    this.feed.follow(job);
    this.backend.adopt(job, nativeId);
    this.feed.kick();
    return job;
  }

  /**
   * Continues a job read back from a store after its owner died. It keeps its id and its past
   * events (which are not journaled again) and goes on from where it was: a queued job is scheduled,
   * one the backend already knows (native id, or started) goes to the backend's `recover`, a
   * finished one is cleaned up. Returns the existing JobRef if the id is already known here.
   */
  restore(job: RestoredJob): JobRef {
    this.assertOpen();
    const known = this.lookup(job.jobid);
    if (known >= 0) return known;
    const h = this.table.addForeign(job.spec, job.urgency, job.jobid);
    this.eventCount.push(0);
    this.active++;
    if (job.nativeId !== undefined) this.table.nativeIds[h] = job.nativeId;
    const extras = replayEvents(this.table, h, job.events);
    if (extras) this.extras.set(h, extras);
    this.eventCount[h] = job.events.length;
    const table = this.table;
    if (this.reportsQueue) {
      this.queueLogs.set(h, queueLogOf(job.events));
      if (table.times[h * T_COUNT + T.SUBMIT] === 0) {
        // the backend never reported its submit: it still may (or the engine fills it in)
        table.times[h * T_COUNT + T.SUBMIT] = now();
        table.flags[h]! |= F.AWAIT_SUBMIT;
      }
    }
    switch (resumePoint(table, h, job.nativeId !== undefined, this.backend.recover !== undefined, this.reportsQueue)) {
      case Resume.INACTIVE:
        table.result[h] = resultOf(table.flags[h]!, table.status[h]!, fatalException(extras));
        table.state[h] = S.INACTIVE;
        this.active--;
        break;
      case Resume.ABANDON:
        this.abandoned(h);
        break;
      case Resume.BACKEND: {
        const flags = table.flags[h]!;
        table.state[h] = flags & F.START ? S.RUN : S.SCHED;
        if (this.reportsQueue) {
          // such a backend may submit it again (it never got there) with its dependencies
          this.graph.declare(h, this.resolveDependencies(job.dependsOn, 'dependsOn'), this.resolveDependencies(job.dependsOnAny, 'dependsOnAny'));
        }
        this.feed.follow(h);
        if (this.backend.recover) this.backend.recover(h, { nativeId: job.nativeId, allocated: (flags & F.ALLOC) !== 0, started: (flags & F.START) !== 0 });
        else if (job.nativeId !== undefined && this.backend.adopt && this.backend.capabilities.adopt) {
          // No recovery of its own: follow the job by its native id, as one submitted elsewhere.
          this.backend.adopt(h, job.nativeId);
        } else {
          this.exception(h, 'lost', 0, `the ${this.backend.name} backend cannot follow a job started by another process`);
          this.abandoned(h);
        }
        this.feed.kick();
        break;
      }
      case Resume.SCHEDULE:
        table.state[h] = S.SCHED;
        this.feed.queue(h);
        break;
      case Resume.DEPEND: {
        const deps = this.resolveDependencies(job.dependsOn, 'dependsOn');
        const anyDeps = this.resolveDependencies(job.dependsOnAny, 'dependsOnAny');
        this.graph.declare(h, deps, anyDeps);
        this.advance(h, deps, anyDeps);
        break;
      }
    }
    return h;
  }

  private newJob(spec: Jobspec, urgency: number): JobRef {
    const job = this.addJob(spec, urgency, now());
    this.ids.nextInto(this.table.idHi, this.table.idLo, job);
    this.announce(job);
    return job;
  }

  /** Adds a job to the table; the caller writes its id, then {@link announce}s it. */
  private addJob(spec: Jobspec, urgency: number, t: number): JobRef {
    const table = this.table;
    const job = table.add(spec, urgency);
    this.eventCount.push(0);
    this.active++;
    table.times[job * T_COUNT + T.SUBMIT] = t;
    if (this.reportsQueue) table.flags[job]! |= F.AWAIT_SUBMIT;
    return job;
  }

  /** Journals a new job (which may refuse it) and records its submit and validate events. */
  private announce(job: JobRef): void {
    if (this.journal) {
      try {
        this.journal.created(job);
      } catch (error) {
        // the job never existed for anyone: drop it quietly (it stays an inert slot in the table)
        this.table.state[job] = S.INACTIVE;
        this.table.result[job] = R.FAILED;
        this.active--;
        throw error;
      }
    }
    if (this.table.flags[job]! & F.AWAIT_SUBMIT) return; // the backend reports them
    const t = this.table.times[job * T_COUNT + T.SUBMIT]!;
    this.record(job, E.SUBMIT, t, undefined);
    this.record(job, E.VALIDATE, t, undefined);
  }

  /**
   * A job whose backend reports its queueing events gets an event of the engine's (an exception)
   * or ends before the backend reported its `submit`: the engine's `submit` and `validate` come
   * first, at the time of the submission here (the backend's are ignored if they come later).
   */
  private fillInSubmit(job: JobRef): void {
    const table = this.table;
    if ((table.flags[job]! & F.AWAIT_SUBMIT) === 0) return;
    table.flags[job]! &= ~F.AWAIT_SUBMIT;
    const t = table.times[job * T_COUNT + T.SUBMIT]!;
    this.queueLogFor(job).validate = t;
    this.record(job, E.SUBMIT, t, undefined);
    this.record(job, E.VALIDATE, t, undefined);
  }

  private queueLogFor(job: JobRef): QueueLog {
    let log = this.queueLogs.get(job);
    if (!log) this.queueLogs.set(job, (log = {}));
    return log;
  }

  /** The jobs `ids` name (`argument[i]` in errors); undefined for none. */
  private resolveDependencies(ids: readonly (JobID | JobRef)[] | undefined, argument: string): JobRef[] | undefined {
    return ids && ids.length > 0 ? ids.map((d, i) => this.resolveDependency(d, `${argument}[${i}]`)) : undefined;
  }

  private resolveDependency(dep: JobID | JobRef, argument: string): JobRef {
    const job = typeof dep === 'number' ? dep : this.lookup(dep);
    if (job < 0 || job >= this.table.size) throw new UnknownJobError(typeof dep === 'number' ? String(dep) : dep.f58, argument);
    return job;
  }

  /**
   * After validate: wait in DEPEND for dependencies, then go to SCHED. A backend that resolves
   * dependencies itself (Slurm's afterok) gets the job at once, but the job stays in DEPEND here
   * until its dependencies are seen to complete or the backend starts it.
   */
  private advance(job: JobRef, deps: readonly JobRef[] | undefined, anyDeps?: readonly JobRef[], t = now()): void {
    if (deps || anyDeps) {
      const failed = deps ? this.graph.failedDependency(deps) : -1;
      if (failed >= 0) {
        this.table.state[job] = S.DEPEND;
        this.dependencyFailed(job, failed);
        return;
      }
      if (this.graph.wait(job, deps, anyDeps) > 0) {
        this.table.state[job] = S.DEPEND;
        if (resolvesNatively(this.backend.capabilities.nativeDependencies, deps, anyDeps)) this.feed.queue(job);
        this.events.schedule();
        return;
      }
    }
    this.proceedToSched(job, t, undefined);
  }

  /** Dependencies are met: `depend` and `priority`, then SCHED (the job may already be with the backend). */
  private dependSatisfied(job: JobRef, t: number): void {
    this.graph.stopWaiting(job);
    this.markQueued(job, t);
    if (this.table.state[job] === S.DEPEND) this.table.state[job] = S.SCHED;
  }

  private dependencyFailed(job: JobRef, dep: JobRef): void {
    // A backend that resolves the dependency itself and raises its own exception (Flux) ends the job.
    if (this.backend.capabilities.raisesDependencyExceptions && this.table.flags[job]! & F.HANDED) return;
    const result = RESULT_NAMES[this.table.result[dep]!] ?? 'FAILED';
    // raise() takes the job back from the backend if it already has it
    this.raise(job, 'dependency', 0, `dependency ${this.jobid(dep).f58} ended ${result}`);
  }

  /** The engine's `depend` and `priority` at `t`, unless the backend reports its own (`reportsQueueEvents`). */
  private markQueued(job: JobRef, t: number): void {
    if (this.reportsQueue) return;
    this.setTime(job, T.DEPEND, t, E.DEPEND);
    this.setTime(job, T.PRIORITY, t, E.PRIORITY);
  }

  /** `depend` and `priority`, then SCHED: into `into` (a fan-out chunk) or the next submit batch. */
  private proceedToSched(job: JobRef, t: number, into: JobRef[] | undefined): void {
    this.markQueued(job, t);
    this.table.state[job] = S.SCHED;
    if (into) into.push(job);
    else this.feed.queue(job);
  }

  // ---------------------------------------------------------------- control

  /**
   * Cancels a job: a pending one never starts, a running one is ended (SIGTERM, then SIGKILL after
   * the backend's kill timeout). Returns whether it took effect (false once the job is cleaning up).
   */
  cancel(job: JobID | JobRef, reason = 'canceled'): boolean {
    return this.raise(job, 'cancel', 0, reason);
  }

  /**
   * Raises an exception on a job. A fatal one (severity 0) ends it like {@link cancel}.
   * Returns whether it took effect.
   */
  raise(job: JobID | JobRef, type: string, severity: number, note: string): boolean {
    const h = this.ref(job);
    const state = this.table.state[h]!;
    if (state >= S.CLEANUP || (this.table.flags[h]! & F.FATAL) !== 0) return false;
    this.exception(h, type, severity, note);
    if (severity !== 0) return true;
    const flags = this.table.flags[h]!;
    if (flags & F.HANDED) this.backend.cancel(h);
    else {
      this.table.flags[h] = flags & ~F.BATCHED;
      this.graph.stopWaiting(h);
      this.abandoned(h);
    }
    return true;
  }

  /** {@link cancel} as a callback future (Flux's `cancel_async`): resolves to whether it took effect. */
  cancelAsync(job: JobID | JobRef, reason?: string): ReactorFuture<boolean> {
    return settled(() => this.cancel(job, reason));
  }

  /** {@link killJob} as a callback future (Flux's `kill_async`): resolves to whether the job was running. */
  killAsync(job: JobID | JobRef, signal: NodeJS.Signals = 'SIGTERM'): ReactorFuture<boolean> {
    return settled(() => this.killJob(job, signal));
  }

  /** Sends a signal to a job's processes. Returns whether it reached them (false: no process yet, or gone). */
  killJob(job: JobID | JobRef, signal: NodeJS.Signals = 'SIGTERM'): boolean {
    const h = this.ref(job);
    const state = this.table.state[h];
    // A job handed over but not yet seen running may have processes already: the backend knows.
    if (state !== S.RUN && !(state === S.SCHED && (this.table.flags[h]! & F.HANDED) !== 0)) return false;
    return this.backend.kill(h, signal);
  }

  /** Changes a job's urgency (0 holds it, raising it releases it). Returns false if the job is no longer pending. */
  setJobUrgency(job: JobID | JobRef, urgency: number): boolean {
    const h = this.ref(job);
    const u = checkUrgency(urgency);
    if (this.table.state[h]! >= S.RUN) return false;
    if (!this.initialUrgency.has(h)) this.initialUrgency.set(h, this.table.urgency[h]!);
    this.table.urgency[h] = u;
    // a backend that reports its queueing events reports the change (or submits the job with it)
    if (!(this.reportsQueue && this.table.flags[h]! & (F.HANDED | F.BATCHED))) this.addExtra(h, 'urgency', now(), { urgency: u });
    if (this.table.flags[h]! & F.HANDED) this.backend.setUrgency(h, u);
    return true;
  }

  // ---------------------------------------------------------------- queries

  /** Number of jobs not yet inactive. */
  get activeJobs(): number {
    return this.active;
  }

  /** Number of jobs ever submitted to this reactor. */
  get totalJobs(): number {
    return this.table.size;
  }

  /** The JobRef of an id, or throws {@link UnknownJobError}. */
  ref(job: JobID | JobRef): JobRef {
    if (typeof job === 'number') {
      if (!Number.isInteger(job) || job < 0 || job >= this.table.size) throw new UnknownJobError(String(job), 'job');
      return job;
    }
    const h = this.lookup(job);
    if (h < 0) throw new UnknownJobError(job.f58, 'jobid');
    return h;
  }

  /** The JobRef of an id, or -1. */
  lookup(id: JobID): JobRef {
    return this.table.find(id);
  }

  /** RFC 21 state of a job. */
  stateOf(job: JobID | JobRef): JobState {
    return STATE_NAMES[this.table.state[this.ref(job)]!]!;
  }

  /** Whether the job is inactive. */
  isInactive(job: JobRef): boolean {
    return this.table.state[job] === S.INACTIVE;
  }

  /** The result of an inactive job (undefined while active). */
  resultOf(job: JobID | JobRef): JobResult | undefined {
    const h = this.ref(job);
    const table = this.table;
    if (table.state[h] !== S.INACTIVE) return undefined;
    return resultRecord(table, h, table.flags[h]! & F.EXTRAS ? this.extras.get(h) : undefined);
  }

  /** The result name of an inactive job, without building the result (undefined while active). */
  resultNameOf(job: JobRef): JobResult['result'] | undefined {
    return RESULT_NAMES[this.table.result[job]!];
  }

  /** The job's events so far, rebuilt from its compact record. */
  eventsOf(job: JobID | JobRef): JobEvent[] {
    const h = this.ref(job);
    return rebuildEvents(this.table, h, this.extras.get(h), this.initialUrgency.get(h) ?? this.table.urgency[h]!, this.endTimes.get(h), this.queueLogs.get(h));
  }

  /** Resolves to the job's result once it is inactive. */
  resultAsync(job: JobID | JobRef): ReactorFuture<JobResult> {
    const future = new ReactorFuture<JobResult>();
    let h: JobRef;
    try {
      h = this.ref(job);
    } catch (error) {
      future._reject(error);
      return future;
    }
    if (this.table.state[h] === S.INACTIVE) future._resolve(this.resultOf(h)!);
    else this.watch(h, { onJobInactive: (j) => future._resolve(this.resultOf(j)!) }, false);
    return future;
  }

  /**
   * Calls `callback` for each event of the job: first the past ones (synchronously), then live ones
   * as they happen, ending after `clean`. Returns a function that stops the watch.
   */
  eventWatchAsync(job: JobID | JobRef, callback: (event: JobEvent) => void): () => void {
    const h = this.ref(job);
    const past = this.eventsOf(h);
    for (const ev of past) callback(ev);
    if (this.table.state[h] === S.INACTIVE) return () => {};
    const watcher: JobWatcher = { onJobEvent: (j, code, t, ctx) => callback(this.toEvent(j, code, t, ctx)) };
    // Events of this job still in the batch are already in `past`: the watcher skips them.
    const buffered = this.events.countOf(h);
    if (buffered > 0) this.subscribers.skip(watcher, buffered);
    const stop = () => this.unwatch(h, watcher);
    this.watch(h, watcher, true);
    return stop;
  }

  /**
   * Adds a listener for failed polls of a polling backend (the scheduler did not answer). Polls
   * are retried with backoff and never fail jobs; this only makes them visible. Returns a
   * function that removes the listener.
   */
  onPollError(listener: PollErrorListener): () => void {
    this.pollErrorListeners.push(listener);
    return () => {
      const i = this.pollErrorListeners.indexOf(listener);
      if (i >= 0) this.pollErrorListeners.splice(i, 1);
    };
  }

  /** The error of the last poll, if it failed (undefined once a poll succeeds again). */
  get lastPollError(): unknown {
    return this.feed.lastPollError;
  }

  /** Adds a global listener for every event of every job; returns a function that removes it. */
  onEvent(listener: ReactorEventListener): () => void {
    return this.subscribers.onEvent(listener);
  }

  /** @internal Raw listener over JobRefs (the executor's `watch()`). */
  onRawEvent(listener: RawEventListener): () => void {
    return this.subscribers.onRawEvent(listener);
  }

  /** @internal Registers a per-job watcher; `events` asks for every event, else only inactivity. */
  watch(job: JobRef, watcher: JobWatcher, events: boolean): void {
    this.subscribers.watch(job, watcher, events);
  }

  /** @internal */
  unwatch(job: JobRef, watcher: JobWatcher): void {
    this.subscribers.unwatch(job, watcher);
  }

  /** Resolves when every submitted job is inactive. */
  run(): Promise<void> {
    if (this.active === 0 && this.events.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the poll loop and closes the backend. Active jobs should have been canceled or awaited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.stop();
    await this.backend.close();
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- BackendHost

  /** @internal */
  spec(job: JobHandle): Jobspec {
    return this.table.specs[job]!;
  }

  /** The id of a job. */
  jobid(job: JobHandle): JobID {
    return this.table.jobid(job);
  }

  /** @internal */
  urgency(job: JobHandle): number {
    return this.table.urgency[job]!;
  }

  /** @internal */
  dependencies(job: JobHandle, kind: DependencyKind): readonly JobHandle[] {
    return this.graph.declared(job, kind);
  }

  /** The backend's own id of a job, once known. */
  nativeId(job: JobHandle): string | undefined {
    return this.table.nativeIds[job];
  }

  /** @internal */
  setNativeId(job: JobHandle, nativeId: string): void {
    this.table.nativeIds[job] = nativeId;
    this.journal?.nativeId(job, nativeId);
  }

  /** @internal */
  fatalException(job: JobHandle): JobException | undefined {
    return this.table.flags[job]! & F.EXTRAS ? fatalException(this.extras.get(job)) : undefined;
  }

  /** @internal */
  queued(job: JobHandle, name: QueueEventName, t: number, context?: Readonly<Record<string, unknown>>): void {
    const table = this.table;
    if (!this.reportsQueue || table.state[job]! >= S.INACTIVE) return;
    const base = job * T_COUNT;
    const flags = table.flags[job]!;
    switch (name) {
      case 'submit':
        if ((flags & F.AWAIT_SUBMIT) === 0) return; // recorded already (or filled in)
        table.flags[job] = flags & ~F.AWAIT_SUBMIT;
        if (context) this.queueLogFor(job).submit = context;
        this.setTime(job, T.SUBMIT, t, E.SUBMIT, context);
        return;
      case 'validate': {
        if (flags & F.AWAIT_SUBMIT) return;
        const log = this.queueLogFor(job);
        if (log.validate !== undefined) return;
        log.validate = t;
        this.record(job, E.VALIDATE, t, undefined);
        return;
      }
      case 'depend':
        if (flags & F.AWAIT_SUBMIT || table.times[base + T.DEPEND] !== 0) return;
        this.setTime(job, T.DEPEND, t, E.DEPEND);
        return;
      case 'priority':
        if (flags & F.AWAIT_SUBMIT) return;
        if (table.times[base + T.PRIORITY] === 0) {
          table.times[base + T.PRIORITY] = t;
          if (context) this.queueLogFor(job).priority = context;
          if (table.state[job] === S.DEPEND) {
            this.graph.stopWaiting(job);
            table.state[job] = S.SCHED;
          }
          this.record(job, E.PRIORITY, t, context);
        } else if (t > this.lastExtraTime(job, 'priority', table.times[base + T.PRIORITY]!)) this.addExtra(job, 'priority', t, context ?? {});
        return;
      default:
        // urgency
        if (flags & F.AWAIT_SUBMIT || t <= this.lastExtraTime(job, 'urgency', 0)) return;
        this.addExtra(job, 'urgency', t, context ?? {});
    }
  }

  /** The time of the job's last extra event of this name (`since` if it has none). */
  private lastExtraTime(job: JobRef, name: ExtraEventName, since: number): number {
    let last = since;
    const list = this.table.flags[job]! & F.EXTRAS ? this.extras.get(job) : undefined;
    if (list) for (const x of list) if (x.name === name && x.timestamp > last) last = x.timestamp;
    return last;
  }

  /** @internal */
  alloc(job: JobHandle, context?: Record<string, unknown>, t = now()): void {
    const flags = this.table.flags[job]!;
    if (flags & F.ALLOC || this.table.state[job]! >= S.INACTIVE) return;
    if (this.table.state[job] === S.DEPEND) this.dependSatisfied(job, t);
    this.fillInSubmit(job);
    this.table.flags[job]! |= F.ALLOC;
    if (this.reportsQueue && context) {
      this.queueLogFor(job).alloc = context;
      this.setTime(job, T.ALLOC, t, E.ALLOC, context);
    } else this.setTime(job, T.ALLOC, t, E.ALLOC);
  }

  /** @internal */
  started(job: JobHandle, t = now()): void {
    const table = this.table;
    if (table.flags[job]! & F.START || table.state[job]! >= S.INACTIVE) return;
    this.alloc(job, undefined, t);
    table.flags[job]! |= F.START;
    if (table.state[job]! < S.RUN) table.state[job] = S.RUN;
    this.setTime(job, T.START, t, E.START);
  }

  /** @internal */
  finished(job: JobHandle, waitstatus: number, t = now(), ends?: EndTimes): void {
    const table = this.table;
    const flags = table.flags[job]!;
    if (flags & F.FINISH || table.state[job]! >= S.INACTIVE) return;
    this.fillInSubmit(job);
    if ((flags & F.FATAL) === 0) this.started(job, t);
    else this.alloc(job, undefined, t);
    table.flags[job]! |= F.FINISH;
    table.status[job] = waitstatus;
    table.state[job] = S.CLEANUP;
    this.setTime(job, T.FINISH, t, E.FINISH);
    if (ends?.release !== undefined || ends?.free !== undefined) this.endTimes.set(job, ends);
    this.record(job, E.RELEASE, ends?.release ?? t, undefined);
    this.record(job, E.FREE, ends?.free ?? t, undefined);
    this.clean(job, ends?.clean ?? t);
  }

  /** @internal */
  exception(job: JobHandle, type: string, severity: number, note: string, t = now()): void {
    const state = this.table.state[job]!;
    if (state >= S.INACTIVE) return;
    this.fillInSubmit(job);
    this.addExtra(job, 'exception', t, { type, severity, note });
    if (severity === 0) {
      this.table.flags[job]! |= F.FATAL;
      if (state !== S.RUN) this.table.state[job] = S.CLEANUP;
    }
  }

  /** @internal */
  abandoned(job: JobHandle, t = now(), ends?: EndTimes): void {
    const table = this.table;
    if (table.state[job]! >= S.INACTIVE) return;
    this.fillInSubmit(job);
    table.state[job] = S.CLEANUP;
    if (table.flags[job]! & F.ALLOC) {
      if (ends?.release !== undefined || ends?.free !== undefined) this.endTimes.set(job, ends);
      this.record(job, E.RELEASE, ends?.release ?? t, undefined);
      this.record(job, E.FREE, ends?.free ?? t, undefined);
    }
    this.clean(job, ends?.clean ?? t);
  }

  /** @internal */
  requeued(job: JobHandle, _t = now()): void {
    const table = this.table;
    if (table.state[job]! >= S.CLEANUP) return;
    table.flags[job]! &= ~(F.ALLOC | F.START);
    table.state[job] = S.SCHED;
  }

  // ---------------------------------------------------------------- internals

  /** The job becomes inactive: its result is settled, and the jobs waiting for it go on or fail. */
  private clean(job: JobRef, t: number): void {
    const table = this.table;
    const exception = this.fatalException(job);
    table.result[job] = resultOf(table.flags[job]!, table.status[job]!, exception);
    table.state[job] = S.INACTIVE;
    this.setTime(job, T.CLEAN, t, E.CLEAN);
    this.feed.ended(job);
    this.active--;
    this.graph.ended(job, table.result[job] === R.COMPLETED, t);
    if (this.active === 0) this.events.schedule();
  }

  private setTime(job: JobRef, slot: T, t: number, code: E, context?: EventContext): void {
    this.table.times[job * T_COUNT + slot] = t;
    this.record(job, code, t, context);
  }

  private addExtra(job: JobRef, name: ExtraEventName, t: number, context: Readonly<Record<string, unknown>>): void {
    let list = this.extras.get(job);
    if (!list) this.extras.set(job, (list = []));
    this.table.flags[job]! |= F.EXTRAS;
    list.push({ pos: this.eventCount[job]!, name, timestamp: t, context });
    this.record(job, name === 'exception' ? E.EXCEPTION : name === 'urgency' ? E.URGENCY : E.PRIORITY, t, context);
  }

  /** Counts and journals an event, and batches it for delivery if anybody will receive it. */
  private record(job: JobRef, code: E, t: number, ctx: EventContext): void {
    this.eventCount[job]!++;
    if (this.journal) this.journal.event(job, code, t, ctx);
    const flags = this.table.flags[job]!;
    if (this.subscribers.listening || flags & F.WATCHED || (code === E.CLEAN && flags & F.NOTIFY)) this.events.push(job, code, t, ctx);
  }

  /** Rebuilds the context of a standard event from the table (contexts are not stored per event). */
  private contextOf(job: JobRef, code: number): EventContext {
    const urgency = code === E.SUBMIT ? (this.initialUrgency.get(job) ?? this.table.urgency[job]!) : this.table.urgency[job]!;
    return standardContext(EVENT_NAMES[code]!, contextFacts(this.table, job, urgency));
  }

  /** @internal Builds a JobEvent for a watcher. */
  toEvent(job: JobRef, code: number, t: number, ctx: EventContext): JobEvent {
    const context = ctx ?? this.contextOf(job, code);
    return context ? { name: EVENT_NAMES[code]!, timestamp: t, context } : { name: EVENT_NAMES[code]!, timestamp: t };
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('reactor');
  }
}

function settled<T>(fn: () => T): ReactorFuture<T> {
  const future = new ReactorFuture<T>();
  try {
    future._resolve(fn());
  } catch (error) {
    future._reject(error);
  }
  return future;
}
