import { Fifo } from '../util/fifo.js';

/**
 * An unbounded push queue that is also an AsyncIterator: producers `push` and `end`, one consumer
 * pulls with `for await`. `onReturn` runs when the consumer stops early (break) or the queue ends.
 */
export class AsyncQueue<T> implements AsyncIterator<T>, AsyncIterable<T> {
  private readonly items = new Fifo<T>();
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private waiterReject: ((e: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  /** Called once when iteration stops (end or early return). */
  onReturn: (() => void) | undefined;

  /** Adds an item. Ignored after {@link end}. */
  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = this.waiterReject = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  /** Ends the queue; with `error`, the consumer's next pull after the buffered items rejects. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.stop();
    if (this.waiter && this.items.size === 0) {
      const w = this.waiter;
      const r = this.waiterReject!;
      this.waiter = this.waiterReject = undefined;
      if (error !== undefined) r(error);
      else w({ value: undefined, done: true });
    }
  }

  /** Takes the next buffered item without waiting; undefined when none is buffered. */
  shift(): T | undefined {
    return this.items.shift();
  }

  /** Number of buffered items. */
  get size(): number {
    return this.items.size;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.size > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.waiterReject = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.items.clear();
    this.stop();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  private stop(): void {
    const cb = this.onReturn;
    this.onReturn = undefined;
    cb?.();
  }
}
