import type { Jobspec } from '../jobspec/index.js';
import type { JobFuture } from './future.js';
import { AsyncQueue } from './async-queue.js';
import { Fifo } from '../util/fifo.js';

/**
 * The jobs {@link JobExecutor.map} has submitted and not yet yielded, and which of them it yields
 * next: the oldest one ({@link OrderedWindow}) or the first to complete ({@link UnorderedWindow}).
 * @internal
 */
export interface MapWindow {
  /** Number of jobs in the window. */
  readonly size: number;
  /** Adds a submitted job. */
  add(future: JobFuture): void;
  /** The job to yield next if it is known now (it may still be running when ordered), else undefined. */
  peekNext(): JobFuture | undefined;
  /**
   * Waits for the job to yield next (when {@link peekNext} had none). It comes wrapped in an
   * iterator result: a future is thenable, so a promise of one would resolve to its result.
   */
  nextDone(): Promise<IteratorResult<JobFuture>>;
  /** Takes a yielded job out. */
  remove(future: JobFuture): void;
  /** Cancels every job still in the window. */
  cancelAll(reason: string): void;
}

/** Yields in submit order. @internal */
export class OrderedWindow implements MapWindow {
  private readonly items = new Fifo<JobFuture>();

  get size(): number {
    return this.items.size;
  }

  add(future: JobFuture): void {
    this.items.push(future);
  }

  /** The oldest job, done or not: whenever the window holds jobs there is one to wait on. */
  peekNext(): JobFuture | undefined {
    return this.items.peek();
  }

  nextDone(): Promise<IteratorResult<JobFuture>> {
    const next = this.items.peek();
    return Promise.resolve(next === undefined ? { value: undefined, done: true } : { value: next, done: false });
  }

  remove(_future: JobFuture): void {
    this.items.shift();
  }

  cancelAll(reason: string): void {
    for (const f of this.items) f.cancel(reason);
  }
}

/** Yields as jobs complete: a set of jobs in flight and a queue of completed ones. @internal */
export class UnorderedWindow implements MapWindow {
  private readonly inFlight = new Set<JobFuture>();
  private readonly completed = new AsyncQueue<JobFuture>();
  private readonly onDone = (future: JobFuture): void => this.completed.push(future);

  get size(): number {
    return this.inFlight.size;
  }

  add(future: JobFuture): void {
    this.inFlight.add(future);
    future._onDone(this.onDone);
  }

  peekNext(): JobFuture | undefined {
    return this.completed.shift();
  }

  nextDone(): Promise<IteratorResult<JobFuture>> {
    return this.completed.next();
  }

  remove(future: JobFuture): void {
    this.inFlight.delete(future);
  }

  cancelAll(reason: string): void {
    for (const f of this.inFlight) f.cancel(reason);
  }
}

/** Where {@link JobExecutor.map} reads its specs: synchronously from a plain iterable, else by awaiting. @internal */
export type SpecSource = { readonly sync: Iterator<Jobspec>; readonly async?: undefined } | { readonly sync?: undefined; readonly async: AsyncIterator<Jobspec> };

/** Opens `specs` for reading; an object that is both kinds of iterable is read asynchronously (as `for await` would). @internal */
export function specSource(specs: Iterable<Jobspec> | AsyncIterable<Jobspec>): SpecSource {
  if (Symbol.asyncIterator in specs) return { async: specs[Symbol.asyncIterator]() };
  return { sync: specs[Symbol.iterator]() };
}

/** Closes a source that was not read to its end (as `for await` does when left early). @internal */
export async function closeSource(source: SpecSource): Promise<void> {
  if (source.sync) source.sync.return?.();
  else await source.async.return?.();
}
