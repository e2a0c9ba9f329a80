/**
 * {@link SubmitSlots}: at most N submissions (sbatch, qsub, ...) in flight at once.
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';

/** A counting semaphore for submit calls, first come first served. */
export class SubmitSlots {
  readonly #limit: number;
  #inUse = 0;
  #closed = false;
  readonly #waiters: (() => void)[] = [];

  /** @throws {@link InvalidArgumentError} unless `limit` is a positive integer. */
  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new InvalidArgumentError('limit', `must be a positive integer (got ${String(limit)})`);
    this.#limit = limit;
  }

  /** Waits for a free slot (at once after {@link SubmitSlots.close}); pair with {@link SubmitSlots.release}. */
  async acquire(): Promise<void> {
    if (this.#closed || this.#inUse < this.#limit) {
      this.#inUse++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#inUse++;
  }

  /** Gives a slot back and lets the next waiter in. */
  release(): void {
    this.#inUse--;
    this.#waiters.shift()?.();
  }

  /** Lets every waiter in now and later ones at once (they should see the backend closed and give up). */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Runs `fn` in a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
