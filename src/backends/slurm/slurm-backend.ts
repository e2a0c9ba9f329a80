/**
 * {@link SlurmBackend}: runs jobs as Slurm batch jobs and follows them with one `squeue` per
 * poll for all of them. The parts live beside it: `submit.ts` (arrays, sbatch, dependencies),
 * `poll.ts` (squeue, sacct, status files), `recover.ts` (take-over, adopt), `control.ts`
 * (scancel, hold), on the shared kit of `../batch/`.
 *
 * @module
 */
import type { Backend, BackendCapabilities, JobHandle } from '../../core/backend.js';
import { BatchBackend, batchBackendSetup } from '../batch/batch-backend.js';
import { jobMpi } from '../batch/mpi.js';
import { checkBatchSpec, outputPaths, type BatchSpecView } from '../batch/spec.js';
import { slurmCommands } from './commands.js';
import { SlurmContext } from './context.js';
import { applyHold, scancel, signalArgs } from './control.js';
import { Phase, type SlurmJob } from './job.js';
import type { SlurmBackendOptions } from './options.js';
import { SlurmPoller } from './poll.js';
import { SlurmRecovery } from './recover.js';
import { SlurmSubmitter } from './submit.js';

export type { SlurmBackendOptions } from './options.js';

/**
 * A {@link Backend} that submits jobs to Slurm with `sbatch` and follows them by polling.
 *
 * - **Submission**: one generated batch script per sbatch (see `renderBatchScript`). Jobs
 *   without dependencies are coalesced: those handed over in one turn of the event loop, or while
 *   an sbatch of their resource shape is in flight, that share that shape (tasks, cores, GPUs,
 *   nodes, exclusive, time limit, partition, account, hold) go out as one `sbatch --array` (split
 *   at `MaxArraySize`) whatever else differs, each task keeping its own F58 id, command,
 *   environment, cwd, paths and status file (`renderCoalescedBatchScript`). sbatch calls run
 *   `submitConcurrency` at a time; while one is in flight the job stays SCHED; a failed one fails
 *   every job of it. Dependencies become `--dependency=afterok:` on the dependencies' Slurm ids
 *   (waiting for their sbatch if needed); urgency 0 is `--hold` / `scontrol hold`.
 * - **Results** come from the status file the script writes (`<logDir>/<f58>.status`), never
 *   from accounting; Slurm's `exit_code` is the fallback (e.g. adopted jobs).
 * - **Polling**: {@link SlurmBackend.poll} runs exactly one `squeue --me -t all` for all active
 *   jobs and reads status files; `sacct` only for jobs that left squeue, and only when the
 *   cluster has accounting. A failed squeue rejects the poll and changes no job.
 * - Every Slurm command is counted in {@link SlurmBackend.commandCounts}.
 */
export class SlurmBackend extends BatchBackend<SlurmJob, SlurmBackendOptions, SlurmContext> implements Backend {
  /** `slurm`. */
  readonly name = 'slurm';
  /** Native `afterok` and `afterany` dependencies; follows jobs submitted elsewhere. */
  readonly capabilities: BackendCapabilities = { nativeDependencies: ['afterok', 'afterany'], adopt: true };

  protected readonly submitter: SlurmSubmitter;
  protected readonly poller: SlurmPoller;
  protected readonly recovery: SlurmRecovery;

  /**
   * @throws {@link InvalidArgumentError} for a missing `logDir` or out-of-range numbers.
   */
  constructor(opts: SlurmBackendOptions) {
    const { checked, commands } = batchBackendSetup(opts, slurmCommands);
    super(checked.pollInterval, new SlurmContext(opts, checked.logDir, commands));
    this.submitter = new SlurmSubmitter(this.ctx);
    this.poller = new SlurmPoller(this.ctx);
    this.recovery = new SlurmRecovery(this.ctx, (jobs) => this.submit(jobs));
  }

  /**
   * Rejects specs no Slurm job can run as written: NUL characters (no argument, variable or path
   * can hold one), environment names with `=`, file names that are not plain names, and an MPI job
   * whose MPI is not installed ({@link MpiNotFoundError}).
   *
   * @throws {@link UnsatisfiableRequestError} naming the offending part of the spec.
   */
  check(spec: BatchSpecView): void {
    checkBatchSpec(spec, 'Slurm');
    jobMpi(spec);
  }

  /**
   * `scancel`s the job (after its sbatch returns, if it is in flight). The next polls report it:
   * abandoned if it never ran, finished (killed by SIGTERM) if it did.
   */
  cancel(job: JobHandle): void {
    const j = this.ctx.jobs.get(job);
    if (!j || j.phase === Phase.DONE) return;
    j.cancelRequested = true;
    if (j.phase === Phase.SUBMITTING) return; // sbatch in flight or queued: handled when it returns
    this.ctx.work.serial(j, () => scancel(this.ctx, j, []));
  }

  /** `scancel --signal=SIG` to the job's command; how it ends comes through the polls. */
  kill(job: JobHandle, signal: NodeJS.Signals): boolean {
    const j = this.ctx.jobs.get(job);
    if (!j || j.phase !== Phase.QUEUED || !j.started) return false;
    this.ctx.work.serial(j, () => scancel(this.ctx, j, signalArgs(j, signal)));
    return true;
  }

  /** `scontrol hold` or `scontrol release` (see {@link BatchBackend.setUrgency}). */
  protected override applyHold(j: SlurmJob): Promise<void> {
    return applyHold(this.ctx, j);
  }

  /**
   * The job's stdout/stderr files, absolute, templates expanded (default `<logDir>/<f58>.out`
   * and `.err`); for adopted jobs, the paths Slurm reports once known.
   */
  outputPaths(job: JobHandle): { stdout: string; stderr: string } {
    const j = this.ctx.jobs.get(job);
    if (j?.paths) return j.paths;
    const host = this.ctx.host;
    return outputPaths(host.spec(job) as BatchSpecView, this.ctx.logDir, j?.f58 ?? host.jobid(job).f58);
  }
}
