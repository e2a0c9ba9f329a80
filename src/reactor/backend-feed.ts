import type { Backend } from '../core/backend.js';
import { F, type JobRef, JobTable } from './job-table.js';
import { PollLoop } from './poll-loop.js';

/** Told of a failed poll: the error and how many polls in a row failed. */
export type PollErrorListener = (error: unknown, consecutiveFailures: number) => void;

/**
 * How jobs reach the backend: single jobs are batched into one `backend.submit` per microtask
 * (fan-outs hand over whole chunks), and for a polling backend the jobs it has that are still
 * active are polled by one {@link PollLoop}.
 */
export class BackendFeed {
  /** Jobs with a polling backend that are still active: what each poll asks about. */
  private readonly handedActive: Set<JobRef> | undefined;
  private readonly pollLoop: PollLoop | undefined;
  private pending: JobRef[] = [];
  private scheduled = false;

  /** @param onPollError - Told of every failed poll (polls are retried with backoff and never fail jobs). */
  constructor(
    private readonly backend: Backend,
    private readonly table: JobTable,
    onPollError: PollErrorListener,
  ) {
    if (backend.poll) {
      const poll = backend.poll.bind(backend);
      const set = (this.handedActive = new Set());
      this.pollLoop = new PollLoop(
        backend.pollInterval ?? { min: 250, max: 5000 },
        () => poll([...set]),
        () => set.size > 0,
        onPollError,
      );
    }
  }

  /** Queues a job for the next batched `submit` (a job whose {@link F.BATCHED} flag is cleared meanwhile is dropped). */
  queue(job: JobRef): void {
    this.table.flags[job]! |= F.BATCHED;
    this.pending.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Hands jobs to the backend now. */
  handOver(jobs: JobRef[]): void {
    const flags = this.table.flags;
    for (const job of jobs) flags[job]! |= F.HANDED;
    if (this.handedActive) for (const job of jobs) this.handedActive.add(job);
    this.backend.submit(jobs);
    this.pollLoop?.kick();
  }

  /** Marks a job the backend takes up by other means (adopt, recover) as with the backend; the caller then {@link kick}s. */
  follow(job: JobRef): void {
    this.table.flags[job]! |= F.HANDED;
    this.handedActive?.add(job);
  }

  /** The job became inactive: polls stop asking about it. */
  ended(job: JobRef): void {
    this.handedActive?.delete(job);
  }

  /** Something changed at the backend: poll soon. */
  kick(): void {
    this.pollLoop?.kick();
  }

  /** Stops polling for good. */
  stop(): void {
    this.pollLoop?.stop();
  }

  /** The error of the last poll, if it failed (undefined once a poll succeeds again). */
  get lastPollError(): unknown {
    return this.pollLoop?.lastError;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const flags = this.table.flags;
    const ready: JobRef[] = [];
    for (const job of batch) {
      if ((flags[job]! & F.BATCHED) === 0) continue;
      flags[job]! &= ~F.BATCHED;
      ready.push(job);
    }
    if (ready.length > 0) this.handOver(ready);
  };
}
