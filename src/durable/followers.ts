/**
 * Followers: the executors through which a command (`jobf wait`, `jobf stop`) takes over stored
 * jobs of dead processes, one per backend, made on first use.
 */
import type { JobID } from '../ids/index.js';
import type { JobRecord } from '../store/index.js';
import { JobOwnedError } from './takeover.js';

/** What follows the jobs of one backend (a `JobExecutor` on the store). */
export interface Follower<Future> {
  /** Takes the job over and follows it; throws {@link JobOwnedError} if a live process has it. */
  attach(jobid: JobID): Future;
  /** Lets go of every job without ending it. */
  detach(): Promise<void>;
}

/** One {@link Follower} per backend, made by `make` when a job of that backend is first taken. */
export class Followers<Future> {
  private readonly byBackend = new Map<string, Follower<Future>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly make: (backend: string) => Follower<Future>) {}

  /** Takes the job over and follows it. Undefined if another live process took it first. */
  take(rec: JobRecord): Future | undefined {
    let follower = this.byBackend.get(rec.backend);
    if (!follower) this.byBackend.set(rec.backend, (follower = this.make(rec.backend)));
    try {
      return follower.attach(rec.jobid);
    } catch (err) {
      if (err instanceof JobOwnedError) return undefined;
      throw err;
    }
  }

  /**
   * Lets go of every job without ending it. The part that matters on Ctrl-C (no exit-time cleanup
   * ends the followed jobs) happens at once; the promise resolves when the backends are closed.
   */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.byBackend.values()].map((f) => f.detach())).then(() => undefined);
    return this.closing;
  }
}
