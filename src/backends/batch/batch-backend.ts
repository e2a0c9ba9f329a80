/**
 * {@link BatchBackend}: what the queueing-scheduler backend classes (Slurm, Grid Engine) share:
 * the checked options and the counted command runner they build their context from, the log
 * folder, the engine's host, holds on urgency 0, closing, and the hand-over of submissions, polls,
 * recovery and adoption to the backend's parts (its submitter, poller and recovery). Each backend
 * adds those parts, its checks and its control.
 *
 * @module
 */
import path from 'node:path';
import type { BackendHost, JobHandle, PollInterval, RecoverInfo } from '../../core/backend.js';
import type { SchedulerCommands, SchedulerCommandsOptions } from './commands.js';
import type { BatchContext } from './context.js';
import { checkBatchOptions, type BatchBackendOptions, type CheckedBatchOptions } from './options.js';
import { Phase, type BatchJob } from './tracked-job.js';

/** The checked options of a backend and its scheduler's command runner, built from them. */
export interface BatchBackendSetup {
  /** The shared options, checked, with their defaults (`logDir` absolute). */
  readonly checked: CheckedBatchOptions;
  /** The scheduler's command runner, with the options' prefix and time-out. */
  readonly commands: SchedulerCommands;
}

/**
 * Checks the shared options of a queueing-scheduler backend and builds its command runner with
 * `makeCommands` (e.g. `slurmCommands`).
 *
 * @throws {@link InvalidArgumentError} for a missing `logDir` or out-of-range numbers.
 */
export function batchBackendSetup(opts: BatchBackendOptions, makeCommands: (options: SchedulerCommandsOptions) => SchedulerCommands): BatchBackendSetup {
  const checked = checkBatchOptions(opts, path.resolve);
  return { checked, commands: makeCommands({ prefix: [...checked.commandPrefix], timeoutMs: checked.commandTimeoutMs }) };
}

/** A backend's submitter: sends jobs to the scheduler in the background; `close` lets queued ones give up. */
export interface BatchSubmitter {
  submit(jobs: readonly JobHandle[]): void;
  close(): void;
}

/** A backend's poller: one scheduler query for all `active` jobs; resolves to whether any changed. */
export interface BatchPoller {
  poll(active: readonly JobHandle[]): Promise<boolean>;
}

/** A backend's recovery: re-adopts a stored job after its owner died, or follows one submitted elsewhere. */
export interface BatchRecovery {
  recover(job: JobHandle, info: RecoverInfo): void;
  adopt(job: JobHandle, nativeId: string): void;
}

/** The base of the queueing-scheduler backend classes: state in a {@link BatchContext}. */
export abstract class BatchBackend<Job extends BatchJob, Options extends BatchBackendOptions, Context extends BatchContext<Job, Options>> {
  /** Poll interval bounds (ms). */
  readonly pollInterval: PollInterval;
  /** The state the backend's parts share. */
  protected readonly ctx: Context;

  protected constructor(pollInterval: PollInterval, ctx: Context) {
    this.pollInterval = pollInterval;
    this.ctx = ctx;
  }

  /** The scheduler's commands run so far, by tool (e.g. `sbatch`, `squeue`; `qsub`, `qstat`). */
  get commandCounts(): Readonly<Record<string, number>> {
    return this.ctx.commands.counts;
  }

  /** The absolute log folder. */
  get logDir(): string {
    return this.ctx.logDir;
  }

  /** Receives the engine's host; called once before anything else. */
  bind(host: BackendHost): void {
    this.ctx.bind(host);
  }

  /**
   * Hands jobs over: each is submitted in the background (fan-outs as arrays) and stays SCHED
   * until a poll sees it run. Failures are reported through the host (`exec`).
   */
  submit(jobs: readonly JobHandle[]): void {
    this.submitter.submit(jobs);
  }

  /** Takes a stored job over after its owner died: adopted by native id, else found on the scheduler, else submitted again. */
  recover(job: JobHandle, info: RecoverInfo): void {
    this.recovery.recover(job, info);
  }

  /**
   * Follows a job submitted elsewhere to its end; without a status file its wait status comes
   * from the scheduler's accounting. An id that is not one of the scheduler's raises `lost`.
   */
  adopt(job: JobHandle, nativeId: string): void {
    this.recovery.adopt(job, nativeId);
  }

  /**
   * One scheduler query for all of `active`; then status files (and accounting) for the jobs that
   * left the queue. Resolves to whether any job changed.
   *
   * @throws SchedulerCommandError when the query fails (e.g. the controller restarts); no
   *   job is changed then.
   */
  poll(active: readonly JobHandle[]): Promise<boolean> {
    return this.poller.poll(active);
  }

  /** Urgency 0 holds a pending job (the scheduler's hold command); raising it from 0 releases it. */
  setUrgency(job: JobHandle, urgency: number): void {
    const j = this.ctx.jobs.get(job);
    if (!j || j.phase === Phase.DONE) return;
    j.wantHeld = urgency === 0;
    if (j.phase === Phase.QUEUED) this.ctx.work.serial(j, () => this.applyHold(j));
  }

  /** Stops submitting and polling, and waits for the scheduler commands still running. */
  async close(): Promise<void> {
    if (this.ctx.closed) return;
    this.ctx.closed = true;
    this.stopSubmitting();
    await this.ctx.work.drain();
  }

  /** Holds or releases the job so that the scheduler's hold matches its `wantHeld`. */
  protected abstract applyHold(j: Job): Promise<void>;

  /** Called once by {@link BatchBackend.close}: stops the submitter (a backend may send what is pending too). */
  protected stopSubmitting(): void {
    this.submitter.close();
  }

  /** The backend's submitter. */
  protected abstract readonly submitter: BatchSubmitter;
  /** The backend's poller. */
  protected abstract readonly poller: BatchPoller;
  /** The backend's recovery. */
  protected abstract readonly recovery: BatchRecovery;
}
