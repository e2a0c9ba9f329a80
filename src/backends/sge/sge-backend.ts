/**
 * {@link SgeBackend}: runs jobs as Grid Engine batch jobs and follows them with one `qstat -xml`
 * per poll for all of them. The parts live beside it: `submit.ts` (arrays, qsub, `-hold_jid`),
 * `poll.ts` (qstat, status files, accounting), `recover.ts` (take-over, adopt), `control.ts`
 * (qdel, holds, signals), on the shared kit of `../batch/`.
 *
 * @module
 */
import path from 'node:path';
import type { Backend, BackendCapabilities, JobHandle } from '../../core/backend.js';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { BatchBackend, batchBackendSetup } from '../batch/batch-backend.js';
import { isMpiJob, jobMpi } from '../batch/mpi.js';
import { checkBatchSpec, outputPaths, type BatchSpecView } from '../batch/spec.js';
import { AccountingReader, defaultAccountingFile } from './accounting.js';
import { sgeCommands } from './commands.js';
import { SgeContext } from './context.js';
import { applyHold, QdelBatch, signalJob } from './control.js';
import { Phase, type SgeJob } from './job.js';
import type { SgeBackendOptions } from './options.js';
import { SgePoller } from './poll.js';
import { SgeRecovery } from './recover.js';
import { directivePathProblem } from './render-script.js';
import { SgeSubmitter } from './submit.js';

export type { SgeBackendOptions } from './options.js';

/**
 * A {@link Backend} that submits jobs to Grid Engine with `qsub` and follows them by polling.
 *
 * - **Submission**: one generated job script per job (see `renderSgeScript`); jobs of one
 *   `submit` call that have no dependencies and share a shape (held or not, slots, time limit,
 *   queue) go out as one `qsub -t 1-N` array, each task running its own spec with its own F58
 *   id, paths and status file.
 *   `afterany` dependencies become `-hold_jid`; `afterok` ones are held by the engine (Grid
 *   Engine has no "after OK"). Urgency 0 is `-h` / `qhold`, raising it `qrls`.
 * - **Results** come from the status file the script writes (`<logDir>/<f58>.status`); the
 *   accounting file (or `qacct`) is the fallback (adopted jobs, jobs killed by `qdel` or `h_rt`).
 * - **Polling**: {@link SgeBackend.poll} runs exactly one `qstat -xml` for all active jobs. A
 *   failed qstat rejects the poll and changes no job.
 * - **Cancel**: a running job gets SIGTERM (on this host), then one `qdel` for all jobs canceled
 *   together (after `cancelGraceMs` for those signaled). **kill** signals the job's process group
 *   on this host; for a job on another host it throws `UnsupportedOperationError`.
 * - Every Grid Engine command is counted in {@link SgeBackend.commandCounts}.
 */
export class SgeBackend extends BatchBackend<SgeJob, SgeBackendOptions, SgeContext> implements Backend {
  /** `sge`. */
  readonly name = 'sge';
  /** Native `afterany` (`-hold_jid`); follows jobs submitted elsewhere. */
  readonly capabilities: BackendCapabilities = { nativeDependencies: ['afterany'], adopt: true };

  readonly #qdel: QdelBatch;
  protected readonly submitter: SgeSubmitter;
  protected readonly poller: SgePoller;
  protected readonly recovery: SgeRecovery;

  /**
   * @throws {@link InvalidArgumentError} for a missing or unusable `logDir` or out-of-range numbers.
   */
  constructor(opts: SgeBackendOptions) {
    const { checked, commands } = batchBackendSetup(opts, sgeCommands);
    const logDir = checked.logDir;
    const problem = directivePathProblem(logDir);
    if (problem !== undefined) throw new InvalidArgumentError('opts.logDir', `${JSON.stringify(logDir)} ${problem}`);
    const accountingFile = opts.accountingFile === false ? undefined : (opts.accountingFile ?? defaultAccountingFile());
    super(checked.pollInterval, new SgeContext(opts, logDir, commands, new AccountingReader(accountingFile, commands)));
    this.#qdel = new QdelBatch(this.ctx);
    this.submitter = new SgeSubmitter(this.ctx, this.#qdel);
    this.poller = new SgePoller(this.ctx, this.#qdel);
    this.recovery = new SgeRecovery(this.ctx, (jobs) => this.submit(jobs));
  }

  /**
   * Rejects specs no Grid Engine job of this backend can run as written: NUL characters,
   * environment names with `=`, file names that are not plain names, several tasks without the
   * `mpi` option (only an MPI job runs several tasks: one `mpirun` in the `mpiParallelEnvironment`;
   * otherwise ask for cores instead), several nodes, GPUs and exclusive hosts (no standard Grid
   * Engine request for them), and MPI jobs whose MPI is not installed.
   *
   * @throws {@link UnsatisfiableRequestError} naming the offending part of the spec;
   *   {@link MpiNotFoundError} for an MPI job whose launcher is not on its `PATH`.
   */
  check(spec: BatchSpecView): void {
    checkBatchSpec(spec, 'Grid Engine');
    if (spec.numTasks > 1 && spec.mpi === undefined) {
      throw new UnsatisfiableRequestError('/tasks/0/count', `${spec.numTasks} tasks: the Grid Engine backend runs several tasks only as one MPI job (set attributes.system.shell.options.mpi), else one task per job (ask for cores per task instead)`);
    }
    // Grid Engine has no standard resource for these: a cell-specific complex would be needed.
    if (spec.gpusPerTask > 0) throw new UnsatisfiableRequestError('/resources', 'Grid Engine has no standard GPU resource (the backend does not request GPUs)');
    if (spec.exclusive) throw new UnsatisfiableRequestError('/resources', 'Grid Engine has no standard exclusive-host request (the backend does not request exclusive hosts)');
    if (spec.numNodes !== undefined && spec.numNodes > 1) throw new UnsatisfiableRequestError('/resources/0/count', `the job asks for ${spec.numNodes} nodes; the Grid Engine backend cannot ask for a number of nodes (ask for tasks instead)`);
    jobMpi(spec);
  }

  /**
   * Cancels the job: after its qsub returns, if it is in flight; a running job on this host gets
   * SIGTERM first and is `qdel`ed `cancelGraceMs` later; others are `qdel`ed at once, with the
   * other jobs canceled in the same turn (one call). The next polls report it: abandoned if it
   * never ran, finished if it did.
   */
  cancel(job: JobHandle): void {
    const ctx = this.ctx;
    const j = ctx.jobs.get(job);
    if (!j || j.phase === Phase.DONE || j.cancelRequested) return;
    j.cancelRequested = true;
    if (j.phase === Phase.SUBMITTING) return; // qsub in flight or queued: handled when it returns
    let signaled = false;
    // An MPI job is signaled as soon as its script runs (its pid file exists), not only once a poll
    // saw it start: qdel's SIGKILL would end Open MPI's mpirun but not its ranks (each leads its
    // own process group), while SIGTERM makes mpirun end them.
    if (j.started || isMpiJob(this.ctx.host.spec(job) as BatchSpecView)) {
      try {
        signaled = signalJob(ctx.statusFile(j), j.nativeId!, 'SIGTERM');
      } catch {
        signaled = false;
      }
    }
    if (signaled) this.#qdel.addLater(j.nativeId!, ctx.opts.cancelGraceMs ?? 5000);
    else this.#qdel.add(j.nativeId!);
  }

  /**
   * Sends `signal` to the job's process group (its command and the command's children; for SIGKILL
   * of an MPI job, also the ranks in their own process groups) when it runs on this host; how it ends comes through the polls. Returns false when the job does not
   * run (yet).
   *
   * @throws {@link UnsupportedOperationError} when the job runs on another host, or is not one of
   *   ours: Grid Engine has no command that delivers a signal to a job.
   */
  kill(job: JobHandle, signal: NodeJS.Signals): boolean {
    const j = this.ctx.jobs.get(job);
    if (!j || j.phase !== Phase.QUEUED || !j.started) return false;
    return signalJob(this.ctx.statusFile(j), j.nativeId!, signal, signal === 'SIGKILL' && isMpiJob(this.ctx.host.spec(job) as BatchSpecView));
  }

  /** `qhold` or `qrls` (see {@link BatchBackend.setUrgency}). */
  protected override applyHold(j: SgeJob): Promise<void> {
    return applyHold(this.ctx, j);
  }

  /** The job's stdout/stderr files, absolute, templates expanded (default `<logDir>/<f58>.out` and `.err`). */
  outputPaths(job: JobHandle): { stdout: string; stderr: string } {
    const host = this.ctx.host;
    const j = this.ctx.jobs.get(job);
    const logDir = j?.ownStatus !== undefined ? path.dirname(j.ownStatus) : this.ctx.logDir;
    return outputPaths(host.spec(job) as BatchSpecView, logDir, j?.f58 ?? host.jobid(job).f58);
  }

  /** Stops the submitter and sends pending deletions (see {@link BatchBackend.close}). */
  protected override stopSubmitting(): void {
    super.stopSubmitting();
    this.#qdel.flushLater();
  }
}
