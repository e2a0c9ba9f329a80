/**
 * {@link BackgroundWork}: the promises a backend starts and does not await (submissions, control
 * commands), kept so that `close()` can wait for them; and per-job command chains.
 *
 * @module
 */

/** Something that orders its control commands (cancel, hold, release) one after the other. */
export interface ControlChain {
  /** The last command started for it: the next waits for it. */
  control: Promise<void>;
}

/** Background promises of one backend. Their rejections are swallowed: each reports its own failures. */
export class BackgroundWork {
  readonly #inflight = new Set<Promise<unknown>>();

  /** Keeps `p` until it settles. */
  track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }

  /** Runs `fn` after the previous command of `chain` (whether it worked or not), tracked. */
  serial(chain: ControlChain, fn: () => Promise<void>): void {
    const next = chain.control.then(fn, fn);
    chain.control = next;
    this.track(next);
  }

  /** Resolves once nothing is in flight, including work started while it waits. */
  async drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }
}
