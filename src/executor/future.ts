import { readFile } from 'node:fs/promises';
import type { JobID } from '../ids/index.js';
import type { JobRef, JobWatcher, Reactor } from '../reactor/reactor.js';
import { JobFailedError, OutputUnavailableError, TimeoutError } from './errors.js';
import { AsyncQueue } from './async-queue.js';
import type { JobEvent, JobEventName, JobResult, JobState } from '../core/types.js';

/** Options of the waiting methods of {@link JobFuture}. */
export interface FutureWaitOptions {
  /** Milliseconds to wait before rejecting with {@link TimeoutError}; the job keeps running. Default: no limit. */
  readonly timeout?: number;
  /** Abandons the wait (rejects with the signal's reason); the job keeps running. */
  readonly signal?: AbortSignal;
}

/**
 * The promise-like handle of one submitted job. `await future` resolves to its {@link JobResult}
 * whatever the result (with `rejectOnFailure`, non-COMPLETED results reject with {@link JobFailedError});
 * it rejects only when the job never got an id (invalid or impossible request).
 */
export class JobFuture implements PromiseLike<JobResult>, JobWatcher {
  private promise: Promise<JobResult> | undefined;
  private settle: ((result: JobResult) => void) | undefined;
  private settleFailed: ((error: unknown) => void) | undefined;
  private doneCallback: ((future: JobFuture) => void) | ((future: JobFuture) => void)[] | undefined;
  private finalResult: JobResult | undefined;
  /** @internal Scratch mark of {@link asCompleted}'s de-duplication. */
  _mark: object | undefined;

  /** @internal */
  constructor(
    private readonly reactor: Reactor,
    private readonly job: JobRef,
    private readonly submitError: unknown,
    private readonly rejectOnFailure: boolean,
  ) {
    if (job >= 0 && !reactor.isInactive(job)) reactor.watch(job, this, false);
  }

  /** The job's id, or undefined if the submission was rejected. */
  get id(): JobID | undefined {
    return this.job >= 0 ? this.reactor.jobid(this.job) : undefined;
  }

  /** The submission error, if the job never got an id; undefined otherwise. */
  get error(): unknown {
    return this.submitError;
  }

  /** The backend's own id (a pid on the local backend, a Slurm job id), once known. */
  get nativeId(): string | undefined {
    return this.job >= 0 ? this.reactor.nativeId(this.job) : undefined;
  }

  /** The RFC 21 state. A rejected submission is INACTIVE. */
  get state(): JobState {
    return this.job >= 0 ? this.reactor.stateOf(this.job) : 'INACTIVE';
  }

  /**
   * Where the job's stdout goes (undefined if the submission was rejected). With the local
   * backend's default output the file appears once the job writes to it (see `lazyOutput`).
   */
  get stdoutPath(): string | undefined {
    return this.job >= 0 ? this.reactor.backend.outputPaths(this.job).stdout : undefined;
  }

  /** Where the job's stderr goes (undefined if the submission was rejected). */
  get stderrPath(): string | undefined {
    return this.job >= 0 ? this.reactor.backend.outputPaths(this.job).stderr : undefined;
  }

  /**
   * Reads the job's stdout file (UTF-8). Where the backend makes output files only once written
   * (the local backend's default `<id>.out|.err`), a finished job that wrote nothing gives ''.
   *
   * @throws {@link OutputUnavailableError} when there is no such file: the job never started (its
   *   exception says why), or has not written it yet.
   */
  readStdout(): Promise<string> {
    return this.readOutput('stdout');
  }

  /**
   * Reads the job's stderr file (UTF-8). Where the backend makes output files only once written
   * (the local backend's default `<id>.out|.err`), a finished job that wrote nothing gives ''.
   *
   * @throws {@link OutputUnavailableError} when there is no such file: the job never started (its
   *   exception says why), or has not written it yet.
   */
  readStderr(): Promise<string> {
    return this.readOutput('stderr');
  }

  private async readOutput(stream: 'stdout' | 'stderr'): Promise<string> {
    const file = this.requirePath(stream === 'stdout' ? this.stdoutPath : this.stderrPath);
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const id = this.reactor.jobid(this.job).f58;
      const r = this.reactor.resultOf(this.job);
      const started = this.reactor.eventsOf(this.job).some((e) => e.name === 'start');
      const whenWritten = this.reactor.backend.outputPaths(this.job).whenWritten === true;
      // A file made only once written, absent after the job finished: the job wrote nothing there.
      if (whenWritten && started && r !== undefined) return '';
      const why = started
        ? whenWritten
          ? `no output from the job seen yet (the file is made when first written, within ~100 ms)`
          : `the job has not written ${file}`
        : r
          ? `the job never started (${r.result}${r.exception ? `, ${r.exception.type}: ${r.exception.note}` : ''})`
          : `the job has not started yet (${this.state})`;
      throw new OutputUnavailableError(id, stream, file, why, { cause: err });
    }
  }

  /**
   * Resolves to the job id, or rejects with the submission error. Ids are made synchronously at
   * submit, so this never waits; `options` is accepted for symmetry with {@link result}.
   */
  async jobid(_options: FutureWaitOptions = {}): Promise<JobID> {
    if (this.job < 0) throw this.submitError;
    return this.reactor.jobid(this.job);
  }

  /** Waits for the result; rejects with {@link TimeoutError} after `timeout` ms (the job keeps running). */
  result(options: FutureWaitOptions = {}): Promise<JobResult> {
    if (options.timeout === undefined && options.signal === undefined) return this.asPromise();
    return waitWithLimits(this.asPromise(), options, `result of job ${this.id?.f58 ?? '(rejected)'}`);
  }

  /** Whether the job is inactive (or its submission was rejected). */
  done(): boolean {
    return this.job < 0 || this.reactor.isInactive(this.job);
  }

  /** Whether the job is running (RUN state). */
  running(): boolean {
    return this.state === 'RUN';
  }

  /** Whether the job ended CANCELED. */
  cancelled(): boolean {
    return this.job >= 0 && this.reactor.isInactive(this.job) && this.reactor.resultNameOf(this.job) === 'CANCELED';
  }

  /** Cancels the job, pending or running. Returns whether it took effect. */
  cancel(reason?: string): boolean {
    return this.job >= 0 && this.reactor.cancel(this.job, reason);
  }

  /**
   * The job's events: the past ones first, then live ones, ending after `clean`. Any number of
   * consumers may iterate at once.
   */
  events(): AsyncIterable<JobEvent> {
    const job = this.job;
    const reactor = this.reactor;
    return {
      [Symbol.asyncIterator](): AsyncIterator<JobEvent> {
        const queue = new AsyncQueue<JobEvent>();
        if (job < 0) {
          queue.end();
          return queue;
        }
        const stop = reactor.eventWatchAsync(job, (event) => {
          queue.push(event);
          if (event.name === 'clean') queue.end();
        });
        queue.onReturn = stop;
        return queue;
      },
    };
  }

  /**
   * Calls `callback(future, event)` for every event named `name` (past ones replayed first, as
   * Flux's `add_event_callback` does). Returns a function that removes the callback.
   */
  addEventCallback(name: JobEventName, callback: (future: JobFuture, event: JobEvent) => void): () => void {
    if (this.job < 0) return () => {};
    return this.reactor.eventWatchAsync(this.job, (event) => {
      if (event.name === name) callback(this, event);
    });
  }

  /** Promise interop. */
  then<A = JobResult, B = never>(onFulfilled?: ((value: JobResult) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.asPromise().then(onFulfilled, onRejected);
  }

  /** Promise interop. */
  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<JobResult | B> {
    return this.asPromise().catch(onRejected);
  }

  /** The final result if the job is done, else undefined (no waiting). */
  peek(): JobResult | undefined {
    if (this.finalResult === undefined && this.job >= 0) this.finalResult = this.reactor.resultOf(this.job);
    return this.finalResult;
  }

  /** @internal Calls `cb` once the future is done (at once if it is). */
  _onDone(cb: (future: JobFuture) => void): void {
    if (this.done()) cb(this);
    else if (this.doneCallback === undefined) this.doneCallback = cb;
    else if (Array.isArray(this.doneCallback)) this.doneCallback.push(cb);
    else this.doneCallback = [this.doneCallback, cb];
  }

  /** @internal Whether the job could not be submitted or ended other than COMPLETED. */
  _failed(): boolean {
    return this.job < 0 || (this.reactor.isInactive(this.job) && this.reactor.resultNameOf(this.job) !== 'COMPLETED');
  }

  /** Whether `result` rejects this future (`rejectOnFailure` and not COMPLETED). */
  private rejects(result: JobResult): boolean {
    return this.rejectOnFailure && result.result !== 'COMPLETED';
  }

  /**
   * @internal The result `await future` would give, when it is known now and would not reject:
   * undefined while the job is active, when the submission was rejected, or when
   * `rejectOnFailure` turns the result into a rejection. Fan-out helpers use it to skip a promise.
   */
  _fulfilledResult(): JobResult | undefined {
    if (this.job < 0 || !this.reactor.isInactive(this.job)) return undefined;
    const result = this.peek()!;
    return this.rejects(result) ? undefined : result;
  }

  /** @internal JobWatcher */
  onJobInactive(): void {
    if (this.settle) {
      // one promise per awaited future: settled here with its outcome, no chained `then`
      const result = this.peek()!;
      if (this.rejects(result)) this.settleFailed!(new JobFailedError(result));
      else this.settle(result);
      this.settle = this.settleFailed = undefined;
    }
    const cb = this.doneCallback;
    if (cb === undefined) return;
    this.doneCallback = undefined;
    if (Array.isArray(cb)) for (const c of cb) c(this);
    else cb(this);
  }

  private asPromise(): Promise<JobResult> {
    if (this.promise) return this.promise;
    if (this.job < 0) this.promise = Promise.reject(this.submitError);
    else if (this.reactor.isInactive(this.job)) this.promise = this.outcome(this.peek()!);
    else {
      this.promise = new Promise<JobResult>((resolve, reject) => {
        this.settle = resolve;
        this.settleFailed = reject;
      });
    }
    return this.promise;
  }

  private outcome(result: JobResult): Promise<JobResult> {
    if (this.rejects(result)) return Promise.reject(new JobFailedError(result));
    return Promise.resolve(result);
  }

  private requirePath(p: string | undefined): string {
    if (p === undefined) throw this.submitError;
    return p;
  }
}

/** Races `promise` against a timeout and an abort signal, cleaning both up. */
export function waitWithLimits<T>(promise: Promise<T>, options: FutureWaitOptions, what: string): Promise<T> {
  const { timeout, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(signal!.reason));
    const finish = (fn: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    if (timeout !== undefined) timer = setTimeout(() => finish(() => reject(new TimeoutError(what, timeout))), timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
  });
}
