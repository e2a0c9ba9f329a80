/**
 * {@link LocalScheduler}: the scheduling half of the local backend: where each job is
 * ({@link LocalPhase}), the queue by urgency, the free cores, and the standbys handed to the
 * spawner ahead of time (see standby-pool.ts). {@link LocalBackend} adds the processes (and the
 * simulated jobs) that it starts.
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import type { Jobspec } from '../../jobspec/index.js';
import { isDirectory } from './job-files.js';
import type { RunningJob } from './running-job.js';
import type { Spawner } from './spawner.js';
import { StandbyPool } from './standby-pool.js';
import { UrgencyQueue } from './urgency-queue.js';

/** Where a job is in the local backend. */
export const enum LocalPhase {
  NONE = 0,
  QUEUED = 1,
  RUNNING = 2,
  DONE = 3,
  /** Handed to the spawner ahead of time, waiting there for a slot (see standby-pool.ts). */
  STANDBY = 4,
}

/** Fits jobs into `maxCores` by urgency and submit order (no backfill), standbys first. */
export abstract class LocalScheduler {
  /** Cores jobs may use at once. */
  readonly maxCores: number;
  protected host!: BackendHost;
  protected freeCores: number;
  protected readonly queue = new UrgencyQueue();
  /** Each job's {@link LocalPhase}, by handle. */
  protected local = new Uint8Array(1024);
  protected readonly running = new Map<JobHandle, RunningJob>();
  protected spawner: Spawner | undefined;
  protected draining = false;
  protected closed = false;
  /** Whether the spawner offers hand-off and we use it (not in persistent mode); set with the spawner. */
  protected handoff = false;
  protected readonly standbys = new StandbyPool();

  protected constructor(maxCores: number) {
    this.maxCores = maxCores;
    this.freeCores = maxCores;
  }

  /** Receives the engine's host; called once before anything else. */
  bind(host: BackendHost): void {
    this.host = host;
  }

  /** Queues jobs by urgency and starts those whose cores fit (a more urgent job takes the standbys back). */
  submit(jobs: readonly JobHandle[]): void {
    let top = 0;
    for (const job of jobs) {
      this.setLocal(job, LocalPhase.QUEUED);
      const urgency = this.host.urgency(job);
      this.queue.push(job, urgency);
      if (urgency > top) top = urgency;
    }
    if (top > this.lowestStandbyUrgency()) this.withdrawStandbys();
    this.drain();
  }

  /** Moves a queued job (or one waiting as a standby) to its new urgency. */
  setUrgency(job: JobHandle, urgency: number): void {
    const state = this.local[job];
    if (state === LocalPhase.STANDBY) {
      this.withdraw(this.running.get(job)!); // back to the queue, at its new urgency
      return;
    }
    if (state !== LocalPhase.QUEUED) return;
    this.queue.push(job, urgency);
    if (urgency > this.lowestStandbyUrgency()) this.withdrawStandbys();
    this.drain();
  }

  private readonly isCurrent = (job: number, urgency: number): boolean => this.local[job] === LocalPhase.QUEUED && this.host.urgency(job) === urgency;
  private readonly urgencyOf = (job: number): number => this.host.urgency(job);

  /** Starts queued jobs while their cores fit, highest urgency first (no backfill: order is kept). */
  protected drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      // Standbys come first (they were the queue's head); free cores start them at once.
      const standby = this.standbys.jobs;
      for (let i = 0; i < standby.length && this.freeCores >= this.standbys.standbyClass; ) {
        const job = standby[i]!;
        const run = this.running.get(job)!;
        if (run.withdrawing) {
          i++;
          continue;
        }
        this.promote(job);
        this.spawner!.promote!(run.keys[0]!);
      }
      for (;;) {
        const job = this.queue.peek(this.isCurrent);
        if (job < 0) break;
        const spec = this.host.spec(job);
        const cores = spec.totalCores;
        if (cores > this.freeCores) break;
        this.queue.shift(this.host.urgency(job));
        this.freeCores -= cores;
        this.local[job] = LocalPhase.RUNNING;
        if (spec.testRunDuration !== undefined) this.startSimulated(job, spec, cores);
        else this.startProcesses(job, spec, cores);
      }
      if (this.handoff) this.fillStandbys();
    } finally {
      this.draining = false;
    }
  }

  /** Hands the queue's next single-task jobs to the spawner as standbys (all cores are busy). */
  private fillStandbys(): void {
    for (;;) {
      const job = this.queue.peek(this.isCurrent);
      if (job < 0) return;
      const spec = this.host.spec(job);
      const cores = spec.totalCores;
      if (spec.numTasks !== 1 || spec.testRunDuration !== undefined || cores > 0xffff) return;
      if (!this.standbys.canTake(cores)) return;
      // a job that cannot start fails on the regular path, where it has its resources
      if (spec.cwd !== undefined && !isDirectory(spec.cwd)) return;
      this.queue.shift(this.host.urgency(job));
      this.local[job] = LocalPhase.STANDBY;
      this.standbys.add(job, cores);
      this.startProcesses(job, spec, cores, true);
    }
  }

  /** A standby got its slot (from an exiting process at `t`, or from free cores now): it is allocated. */
  protected promote(job: JobHandle, t?: number): void {
    this.standbys.remove(job);
    const run = this.running.get(job)!;
    run.withdrawing = false;
    this.freeCores -= run.cores;
    this.standbys.processAdded(run.handoff);
    this.local[job] = LocalPhase.RUNNING;
    this.host.alloc(job, undefined, t);
  }

  protected withdraw(run: RunningJob): void {
    if (run.withdrawing) return;
    run.withdrawing = true;
    this.spawner!.withdraw!(run.keys[0]!);
  }

  protected lowestStandbyUrgency(): number {
    return this.standbys.lowestUrgency(this.urgencyOf);
  }

  /** Takes every standby back (a more urgent job must not wait behind them). */
  protected withdrawStandbys(): void {
    for (const job of this.standbys.jobs) this.withdraw(this.running.get(job)!);
  }

  protected setLocal(job: JobHandle, state: LocalPhase): void {
    if (job >= this.local.length) {
      const next = new Uint8Array(Math.max(job + 1, this.local.length * 2));
      next.set(this.local);
      this.local = next;
    }
    this.local[job] = state;
  }
  /** Runs a job with `attributes.system.exec.test.run_duration` on its `cores`, without a process. */
  protected abstract startSimulated(job: JobHandle, spec: Jobspec, cores: number): void;

  /** Starts the job's processes on its `cores` (a `standby` waits in the spawner for a slot). */
  protected abstract startProcesses(job: JobHandle, spec: Jobspec, cores: number, standby?: boolean): void;
}
