/**
 * {@link BatchBackend}: what the queueing-scheduler backend classes (Slurm, Grid Engine) share:
 * the checked options and the counted command runner they build their context from, the log
 * folder, the engine's host, holds on urgency 0, and closing. Each backend adds its submission,
 * polling, recovery and control.
 *
 * @module
 */
import path from 'node:path';
import type { BackendHost, JobHandle, PollInterval } from '../../core/backend.js';
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

  /** Called once by {@link BatchBackend.close}: stop the submitter and send what is pending. */
  protected abstract stopSubmitting(): void;
}
