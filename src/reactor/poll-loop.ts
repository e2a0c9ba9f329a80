import type { PollInterval } from '../core/backend.js';

/**
 * One background loop per engine for polling backends: one `poll(active)` per interval for all active
 * jobs. The interval starts at `min` after a submit and doubles up to `max` while nothing changes; a
 * failed poll is retried with the same backoff and never touches the jobs.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private interval: number;
  private running = false;
  private stopped = false;
  /** Consecutive failed polls. */
  failures = 0;
  /** The last poll error, if the last poll failed. */
  lastError: unknown;

  /**
   * @param onError - Told of every failed poll (with the count of consecutive failures); the
   *   jobs are never touched by it.
   */
  constructor(
    private readonly bounds: PollInterval,
    private readonly pollOnce: () => Promise<boolean>,
    private readonly hasWork: () => boolean,
    private readonly onError: (error: unknown, failures: number) => void = () => {},
  ) {
    this.interval = bounds.min;
  }

  /** Something was submitted: poll soon, and fast for a while. */
  kick(): void {
    if (this.stopped) return;
    this.interval = this.bounds.min;
    if (!this.running) this.arm(this.bounds.min);
  }

  /** Stops the loop for good. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || !this.hasWork()) return;
    this.running = true;
    try {
      const changed = await this.pollOnce();
      this.failures = 0;
      this.lastError = undefined;
      this.interval = changed ? this.bounds.min : Math.min(this.interval * 2, this.bounds.max);
    } catch (error) {
      this.failures++;
      this.lastError = error;
      this.interval = Math.min(Math.max(this.interval, this.bounds.min) * 2, this.bounds.max);
      this.onError(error, this.failures);
    } finally {
      this.running = false;
    }
    if (!this.stopped && this.hasWork()) this.arm(this.interval);
  }
}
