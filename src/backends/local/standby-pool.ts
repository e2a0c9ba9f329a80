/**
 * The bookkeeping of hand-off (see the README's "Local backend"): while every core is busy, the
 * next queued single-task jobs wait inside the spawner as standbys, and a process of the same class
 * (its cores) that exits hands its slot straight to the oldest one. Standbys are the queue's head,
 * taken in order, all of one class, and never more than the live processes of that class that can
 * hand them a slot.
 */
import type { JobHandle } from '../../core/backend.js';

/** Standby jobs and the live hand-off processes by class. */
export class StandbyPool {
  /** Standby jobs, oldest first. */
  readonly jobs: JobHandle[] = [];
  private klass = 0;
  /** Processes with a hand-off class, requested or running, by class. */
  private readonly live: number[] = [];

  /** The class every standby has (meaningful while there are standbys). */
  get standbyClass(): number {
    return this.klass;
  }

  /** Whether a job of `cores` cores may become a standby now. */
  canTake(cores: number): boolean {
    if (this.jobs.length > 0 && cores !== this.klass) return false;
    return this.jobs.length < (this.live[cores] ?? 0);
  }

  /** `job` became a standby. */
  add(job: JobHandle, cores: number): void {
    this.jobs.push(job);
    this.klass = cores;
  }

  /** `job` is no longer a standby (it got a slot or was withdrawn). */
  remove(job: JobHandle): void {
    this.jobs.splice(this.jobs.indexOf(job), 1);
  }

  /** A process of class `klass` was asked for (it can hand its slot over once it exits). */
  processAdded(klass: number): void {
    this.live[klass] = (this.live[klass] ?? 0) + 1;
  }

  /** A process of class `klass` ended or never started. */
  processGone(klass: number): void {
    this.live[klass]!--;
  }

  /** The urgency of the newest standby (the lowest: they were taken in queue order); 0 without any. */
  lowestUrgency(urgency: (job: JobHandle) => number): number {
    const n = this.jobs.length;
    return n === 0 ? 0 : urgency(this.jobs[n - 1]!);
  }
}
