/**
 * {@link TaskSlots}: the keys the local backend hands a spawner with each task, and the job and
 * rank each key stands for until the spawner reports the task's end (keys are reused).
 */
import type { JobHandle } from '../../core/backend.js';

/** The table of spawn keys: key → (job, rank), with freed keys reused first. */
export class TaskSlots {
  readonly #job: number[] = [];
  readonly #rank: number[] = [];
  readonly #free: number[] = [];

  /** A key for task `rank` of `job`. */
  take(job: JobHandle, rank: number): number {
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#job.length;
    this.#job[slot] = job;
    this.#rank[slot] = rank;
    return slot;
  }

  /** The job of `key` (-1 once the key is freed). */
  job(key: number): JobHandle {
    return this.#job[key]!;
  }

  /** The rank of `key`'s task in its job. */
  rank(key: number): number {
    return this.#rank[key]!;
  }

  /** The task of `key` is over: the key may be reused. */
  free(key: number): void {
    this.#job[key] = -1;
    this.#free.push(key);
  }
}
