/**
 * The "missing from the queue" rule: a job the scheduler no longer lists, with no status file and
 * no accounting record, is declared lost only after a grace period, because status files can lag
 * on shared filesystems and accounting lags the queue.
 *
 * @module
 */

/** What {@link MissingGrace} keeps on each followed job. */
export interface Missable {
  /** `Date.now()` when the job's native id became known: a queue listing started earlier cannot show it. */
  knownAt: number;
  /** Since when the job is missing from the queue (`Date.now()`), or `undefined`. */
  missingSince: number | undefined;
}

/** Applies the grace period of one backend to its jobs. */
export class MissingGrace {
  /** The grace in ms. */
  readonly graceMs: number;

  /** @param graceMs - How long a job may be missing before it counts as lost. */
  constructor(graceMs: number) {
    this.graceMs = graceMs;
  }

  /**
   * Whether a job absent from a queue listing that was started at `listedAt` counts as missing
   * (it does not when its id became known after the listing began).
   */
  static absent(job: Missable, listedAt: number): boolean {
    return job.knownAt < listedAt;
  }

  /** The job is in the queue again: its grace starts over when it next goes missing. */
  static seen(job: Missable): void {
    job.missingSince = undefined;
  }

  /** Notes the job missing at `now`; true once it has been missing for the whole grace period. */
  expired(job: Missable, now: number = Date.now()): boolean {
    job.missingSince ??= now;
    return now - job.missingSince >= this.graceMs;
  }
}
