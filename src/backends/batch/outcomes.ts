/**
 * {@link OutcomeTable}: how each job of a backend ended, by handle, kept after the job is
 * forgotten, for jobs submitted later that depend on it (a scheduler forgets finished jobs after a
 * while, and a dependency on a forgotten id fails the submission).
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';

/** What {@link OutcomeTable.get} says about a job. */
export const Outcome = {
  /** Not ended (or not one of this backend's). */
  UNKNOWN: 0,
  /** Ended completed with status 0 (an `afterok` dependency is met). */
  OK: 1,
  /** Ended any other way. */
  FAILED: 2,
} as const;

/** One of the {@link Outcome} values. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** One byte per job handle (handles are small dense integers). */
export class OutcomeTable {
  #outcomes = new Uint8Array(0);

  /** How `job` ended, {@link Outcome.UNKNOWN} if it has not. */
  get(job: JobHandle): Outcome {
    return (this.#outcomes[job] ?? Outcome.UNKNOWN) as Outcome;
  }

  /** Records whether `job` completed successfully. */
  set(job: JobHandle, ok: boolean): void {
    if (job >= this.#outcomes.length) {
      const grown = new Uint8Array(Math.max(job + 1, this.#outcomes.length * 2, 1024));
      grown.set(this.#outcomes);
      this.#outcomes = grown;
    }
    this.#outcomes[job] = ok ? Outcome.OK : Outcome.FAILED;
  }

  /** Records `job` as failed unless an outcome is known already. */
  setFailedUnlessKnown(job: JobHandle): void {
    if (this.get(job) === Outcome.UNKNOWN) this.set(job, false);
  }
}
