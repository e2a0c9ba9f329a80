/**
 * {@link SubmitCoalescer}: gathers the jobs handed to a batch backend into as few submit calls as
 * the scheduler allows. Jobs are filed under a shape key (the resources a scheduler fixes for a
 * whole array: cores, tasks, nodes, GPUs, time limit, queue, account, hold); each key's jobs go
 * out together, at most `maxBatch` per call, through the backend's {@link SubmitSlots}:
 *
 * - jobs handed over in one turn of the event loop (one `submit` call or many: `ex.map`, a loop
 *   of `ex.submit`) wait for that turn to end, then go out together;
 * - jobs handed over while a submit call of their key is in flight (or waits for a slot) go out
 *   together in the next call, as soon as a slot is free.
 *
 * The backend's `send` submits one batch and reports every job of it itself (ids on success;
 * each job failed, or retried as a whole, on failure): the coalescer never drops a job. A key
 * may carry what its calls need besides the jobs (e.g. the dependencies' native ids that are part
 * of the key): given with `add`, handed to `send`.
 *
 * @module
 */
import type { SubmitSlots } from './submit-slots.js';

/** What {@link SubmitCoalescer} needs from its backend. */
export interface SubmitCoalescerOptions<J, E = undefined> {
  /** The backend's submit slots (shared with its other submissions). */
  readonly slots: SubmitSlots;
  /** Most jobs per submit call (e.g. Slurm's `MaxArraySize`); asked once per call. */
  readonly maxBatch: () => number | Promise<number>;
  /** Submits one batch (runs inside a slot) and reports every one of its jobs; should not reject. */
  readonly send: (batch: J[], extra: E | undefined) => Promise<void>;
  /** Keeps a background promise for `close()` to wait on. */
  readonly track: (p: Promise<unknown>) => void;
}

interface Group<J, E> {
  readonly jobs: J[];
  /** What the key's calls need besides the jobs (the same for every job of the key). */
  readonly extra: E | undefined;
  /** Calls of this key started and not finished. */
  running: number;
  /** Of those, the ones that have not taken their jobs yet (waiting for a slot). */
  waiting: number;
}

/** Batches jobs per shape key into submit calls; see the module comment. */
export class SubmitCoalescer<J, E = undefined> {
  readonly #opts: SubmitCoalescerOptions<J, E>;
  readonly #groups = new Map<string, Group<J, E>>();
  /** Whether the end-of-turn start is scheduled. */
  #scheduled = false;
  /** Keys that got jobs this turn and have no call running yet. */
  readonly #fresh = new Set<string>();

  constructor(opts: SubmitCoalescerOptions<J, E>) {
    this.#opts = opts;
  }

  /** Jobs waiting for a submit call, over all keys. */
  get pending(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.jobs.length;
    return n;
  }

  /** Files `job` under `key` (with the key's `extra`); it goes out with the key's next submit call. */
  add(key: string, job: J, extra?: E): void {
    let group = this.#groups.get(key);
    if (!group) this.#groups.set(key, (group = { jobs: [], extra, running: 0, waiting: 0 }));
    group.jobs.push(job);
    // A call of this key waiting for a slot takes the job, a running one starts the next call when
    // it ends; otherwise one starts after this turn.
    if (group.running > 0) return;
    this.#fresh.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#startFresh());
  }

  #startFresh(): void {
    this.#scheduled = false;
    const keys = [...this.#fresh];
    this.#fresh.clear();
    for (const key of keys) this.#start(key);
  }

  /** Starts one call for `key` (tracked): waits for a slot, then takes what is waiting. */
  #start(key: string): void {
    const group = this.#groups.get(key);
    if (!group || group.jobs.length === 0) return;
    group.running++;
    group.waiting++;
    this.#opts.track(this.#call(key, group));
  }

  async #call(key: string, group: Group<J, E>): Promise<void> {
    let max = 1;
    try {
      max = Math.max(1, await this.#opts.maxBatch());
    } catch {
      max = 1;
    }
    await this.#opts.slots.acquire();
    try {
      group.waiting--;
      const batch = group.jobs.splice(0, max);
      // A full batch is still waiting: it need not wait for this call.
      if (group.jobs.length >= max) this.#start(key);
      if (batch.length > 0) await this.#opts.send(batch, group.extra);
    } finally {
      this.#opts.slots.release();
      group.running--;
    }
    // What came while this call ran goes out next (unless a call already waits to take it).
    if (group.jobs.length > 0 && group.waiting === 0) this.#start(key);
    else if (group.running === 0 && group.jobs.length === 0 && this.#groups.get(key) === group) this.#groups.delete(key);
  }
}
