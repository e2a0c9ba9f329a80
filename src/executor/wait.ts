import { TimeoutError } from './errors.js';
import type { JobFuture } from './future.js';
import type { JobResult } from '../core/types.js';
import { AsyncQueue } from './async-queue.js';

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Milliseconds after which the iteration throws {@link TimeoutError} if futures are still pending. */
  readonly timeout?: number;
}

/**
 * One completed future as {@link asCompleted} yields it. Not the future itself: futures are
 * thenable, and TypeScript types `for await` elements as their awaited value.
 */
export interface Completed {
  /** The future that completed. */
  readonly future: JobFuture;
  /** Its result; undefined if the submission was rejected (see `error`). */
  readonly result: JobResult | undefined;
  /** The submission error, if the job never got an id. */
  readonly error: unknown;
}

/**
 * Yields the futures as they complete (those already done first, in the order given), each as a
 * {@link Completed} record. Throws {@link TimeoutError} if `timeout` ms pass before all are done;
 * the jobs keep running.
 *
 * (A hand-written iterator, not an async generator: `yield` in an async generator would await the
 * thenable futures.)
 */
export function asCompleted(futures: Iterable<JobFuture>, options: AsCompletedOptions = {}): AsyncIterableIterator<Completed> {
  let unique = distinct(futures);
  /** Futures not yet handed out; each registers one callback, so each arrives in the queue once. */
  let remaining = unique.length;
  const queue = new AsyncQueue<JobFuture>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const onDone = (done: JobFuture) => queue.push(done);
  const start = () => {
    if (started) return;
    started = true;
    if (options.timeout !== undefined) {
      const timeout = options.timeout;
      timer = setTimeout(() => queue.end(new TimeoutError(`asCompleted (${remaining} of the futures still pending)`, timeout)), timeout);
    }
    for (const f of unique) f._onDone(onDone);
    unique = [];
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    void queue.return();
  };
  const completed = (future: JobFuture): IteratorResult<Completed> => {
    if (--remaining === 0) stop();
    return { value: { future, result: future.peek(), error: future.error }, done: false };
  };
  /** The next completed future's record if one is buffered, `DONE` when none is left, else undefined. */
  const takeBuffered = (): IteratorResult<Completed> | undefined => {
    if (remaining === 0) {
      stop();
      return DONE;
    }
    const f = queue.shift();
    return f === undefined ? undefined : completed(f);
  };
  const waitForNext = async (): Promise<IteratorResult<Completed>> => {
    let next: IteratorResult<JobFuture>;
    try {
      next = await queue.next();
    } catch (error) {
      stop();
      throw error;
    }
    if (next.done || remaining === 0) {
      stop();
      return DONE;
    }
    return completed(next.value);
  };
  const iterator: AsyncIterableIterator<Completed> = {
    next(): Promise<IteratorResult<Completed>> {
      start();
      // Futures already done are handed out without a wait (the common case in large fan-outs).
      const buffered = takeBuffered();
      return buffered ? Promise.resolve(buffered) : waitForNext();
    },
    return(): Promise<IteratorResult<Completed>> {
      stop();
      remaining = 0;
      unique = [];
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * The futures without repeats, in the order given. A mark per call on each future instead of a
 * `Set`: building and emptying a set of 200,000 futures cost ~0.2 µs per future, a tenth of the
 * whole fan-out. Marks are read only inside this synchronous loop, so calls cannot mix them up.
 */
function distinct(futures: Iterable<JobFuture>): JobFuture[] {
  const mark = {};
  const unique: JobFuture[] = [];
  for (const f of futures) {
    if (f._mark === mark) continue;
    f._mark = mark;
    unique.push(f);
  }
  return unique;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

/** When {@link wait} returns. */
export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Milliseconds to wait at most; then it returns with what is done (no error, as in Python). */
  readonly timeout?: number;
  /** Default `ALL_COMPLETED`. `FIRST_EXCEPTION` returns when a job ends other than COMPLETED (or could not be submitted). */
  readonly returnWhen?: ReturnWhen;
}

/** What {@link wait} resolves to. */
export interface WaitResult {
  readonly done: Set<JobFuture>;
  readonly notDone: Set<JobFuture>;
}

/** Waits for futures as Python's `concurrent.futures.wait` does. */
export function wait(futures: Iterable<JobFuture>, options: WaitOptions = {}): Promise<WaitResult> {
  const returnWhen = options.returnWhen ?? 'ALL_COMPLETED';
  // Duplicates register once per occurrence, so counting occurrences stays consistent.
  const all = Array.from(futures);
  return new Promise<WaitResult>((resolve) => {
    let remaining = all.length;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      resolve(new LazyWaitResult(all, remaining === 0));
    };
    const check = (f: JobFuture) => {
      if (finished) return;
      remaining--;
      if (remaining === 0 || returnWhen === 'FIRST_COMPLETED' || (returnWhen === 'FIRST_EXCEPTION' && f._failed())) finish();
    };
    if (remaining === 0) return finish();
    if (options.timeout !== undefined) timer = setTimeout(finish, options.timeout);
    for (const f of all) f._onDone(check);
  });
}

/**
 * The two sets are made when first read, as they were when `wait` returned: waiting on hundreds
 * of thousands of jobs should not pay for sets nobody looks at (when every future was done,
 * `notDone` is an empty set and reading it builds nothing else).
 */
class LazyWaitResult implements WaitResult {
  private doneSet: Set<JobFuture> | undefined;
  private notDoneSet: Set<JobFuture> | undefined;
  /** Which futures were done when `wait` returned; undefined when all were. */
  private readonly snapshot: boolean[] | undefined;

  constructor(
    private readonly all: readonly JobFuture[],
    allDone: boolean,
  ) {
    this.snapshot = allDone ? undefined : all.map((f) => f.done());
  }

  get done(): Set<JobFuture> {
    if (!this.doneSet) {
      const snapshot = this.snapshot;
      this.doneSet = snapshot === undefined ? new Set(this.all) : new Set(this.all.filter((_, i) => snapshot[i]));
    }
    return this.doneSet;
  }

  get notDone(): Set<JobFuture> {
    if (!this.notDoneSet) {
      const snapshot = this.snapshot;
      this.notDoneSet = snapshot === undefined ? new Set() : new Set(this.all.filter((_, i) => !snapshot[i]));
    }
    return this.notDoneSet;
  }
}
