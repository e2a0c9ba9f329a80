/**
 * {@link SlurmSubmitter}: the Slurm backend's submissions. Jobs without dependencies are
 * coalesced (the kit's {@link SubmitCoalescer}): those that share a resource shape (tasks, cores,
 * GPUs, nodes, exclusive, time limit, partition, account, hold, MPI flavour) go out as one `sbatch --array`
 * (split at `MaxArraySize`) even when their commands, environments, working directories or output
 * paths differ: each task runs its own job (see `renderCoalescedBatchScript`). Jobs handed over
 * in one turn of the event loop go out together, and so do those handed over while a call of
 * their shape is in flight. Jobs with dependencies first wait for their dependencies' Slurm ids
 * (their sbatch), then are coalesced the same way with the others of their shape whose
 * dependencies resolved to the same ids (a fan-out after one set-up job is one array), with
 * `--dependency=` on those ids. sbatch
 * calls run `submitConcurrency` at a time and are retried while the controller cannot be
 * reached; a batch that fails fails every job in it.
 *
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { JobHandle } from '../../core/backend.js';
import type { TaskBodyFile } from '../batch/coalesced-script.js';
import { SubmitCoalescer } from '../batch/coalescer.js';
import { SchedulerCommandError } from '../batch/commands.js';
import { retry, retryFor } from '../batch/retry.js';
import { Outcome } from '../batch/outcomes.js';
import { jobMpi } from '../batch/mpi.js';
import { jobCwd, jobName, Lazy, pathTemplates, processEnvironment, type BatchSpecView } from '../batch/spec.js';
import { SubmitSlots } from '../batch/submit-slots.js';
import { abandonUnsubmitted, closeSubmissions, optional } from '../batch/tracked-job.js';
import { firstLine, lastLine } from '../batch/text.js';
import { errorText } from '../../util/errors.js';
import { applyHold, scancel } from './control.js';
import { DEFAULT_MAX_ARRAY_SIZE, type SlurmContext } from './context.js';
import { slurmControllerUnreachable } from './errors.js';
import { newSubmittedJob, Phase, settleSubmitted, type SlurmJob } from './job.js';
import { tasksRunInSrunStep } from './mpi.js';
import { parseSbatchParsable } from './parse.js';
import { slurmScriptPath } from './profile.js';
import { durationToTimeLimit, renderBatchScript, renderCoalescedBatchScript, type BatchScriptInput, type SlurmTaskInput } from './render-batch-script.js';
import { DEFAULT_SUBMIT_CONCURRENCY, DEFAULT_SUBMIT_RETRY_MS } from '../batch/options.js';

type Env = Lazy<Record<string, string>>;

/** The Slurm ids a job waits for, by kind (`--dependency=afterok:…,afterany:…`). */
interface SlurmDependencies {
  readonly afterok: readonly string[];
  readonly afterany: readonly string[];
}

/** Submits jobs with sbatch in the background and reports the outcome through the host. */
export class SlurmSubmitter {
  readonly #ctx: SlurmContext;
  readonly #slots: SubmitSlots;
  /** Keys carry the dependencies' Slurm ids of the jobs filed with them. */
  readonly #coalescer: SubmitCoalescer<SlurmJob, SlurmDependencies>;
  #logDirReady: Promise<unknown> | undefined;

  constructor(ctx: SlurmContext) {
    this.#ctx = ctx;
    this.#slots = new SubmitSlots(ctx.opts.submitConcurrency ?? DEFAULT_SUBMIT_CONCURRENCY);
    this.#coalescer = new SubmitCoalescer<SlurmJob, SlurmDependencies>({
      slots: this.#slots,
      maxBatch: () => this.#maxArraySize(),
      send: (batch, dependencies) => this.#sendBatch(batch, dependencies ?? {}),
      track: (p) => ctx.work.track(p),
    });
  }

  /**
   * Files each job under its resource shape, to go out with the other jobs of that shape as one
   * array; a job with dependencies once they have Slurm ids, under its shape and those ids
   * (tracked, not awaited).
   */
  submit(jobs: readonly JobHandle[]): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    for (const handle of jobs) {
      const spec = host.spec(handle) as BatchSpecView;
      const job = newSubmittedJob(handle, host.jobid(handle).f58, tasksRunInSrunStep(spec), host.urgency(handle));
      ctx.jobs.set(handle, job);
      if (host.dependencies(handle, 'afterok').length > 0 || host.dependencies(handle, 'afterany').length > 0) {
        ctx.work.track(this.#fileWithDependencies(job, spec));
        continue;
      }
      this.#coalescer.add(this.#shapeKey(spec, job.wantHeld), job);
    }
  }

  /** Lets queued submissions through at once (they see the backend closed and give up). */
  close(): void {
    closeSubmissions(this.#slots, this.#ctx.jobs.values());
  }

  /** What Slurm fixes for a whole array: jobs with the same key can share one. */
  #shapeKey(spec: BatchSpecView, hold: boolean): string {
    const o = this.#ctx.opts;
    const mpi = spec.numTasks > 1 ? (jobMpi(spec)?.flavour ?? null) : null; // the array's one task launch
    return JSON.stringify([spec.numTasks, spec.coresPerTask, spec.gpusPerTask, spec.numNodes ?? null, spec.exclusive, durationToTimeLimit(spec.duration) ?? null, spec.queue ?? o.partition ?? null, o.account ?? null, hold, mpi]);
  }

  /** Most tasks per array: the option, else the cluster's `MaxArraySize`, else Slurm's default. */
  async #maxArraySize(): Promise<number> {
    const max = this.#ctx.opts.maxArraySize;
    if (max !== undefined) return max;
    try {
      return (await this.#ctx.clusterConfig()).maxArraySize;
    } catch {
      return DEFAULT_MAX_ARRAY_SIZE;
    }
  }

  /** One coalesced batch (the coalescer holds a slot): one sbatch, every job of it reported. */
  async #sendBatch(batch: SlurmJob[], dependencies: BatchScriptInput['dependencies']): Promise<void> {
    try {
      await this.#sbatch(batch, new Lazy(() => processEnvironment()), dependencies);
    } catch (error) {
      // Nothing in #sbatch should throw; if it does, no job of the batch is left behind.
      this.#giveUp(batch, 'exec', `sbatch failed: ${errorText(error)}`);
    }
  }

  /**
   * Waits for the job's dependencies' Slurm ids (outside any submit slot: a slot held while waiting
   * could be the one the dependency needs), then files it with the jobs of its shape and the same
   * dependencies; a job whose dependencies all ended as it needs goes out as one without any.
   */
  async #fileWithDependencies(job: SlurmJob, spec: BatchSpecView): Promise<void> {
    const dependencies = await this.#resolveDependencies(job);
    if (dependencies === undefined) return;
    const { afterok, afterany } = dependencies;
    const key = this.#shapeKey(spec, job.wantHeld);
    if (afterok.length === 0 && afterany.length === 0) return this.#coalescer.add(key, job);
    this.#coalescer.add(JSON.stringify([key, [...afterok].sort(), [...afterany].sort()]), job, dependencies);
  }

  /** The Slurm ids the job must wait for, by kind; undefined when it gave up (a dependency failed or never reached Slurm). */
  async #resolveDependencies(job: SlurmJob): Promise<SlurmDependencies | undefined> {
    const ctx = this.#ctx;
    const host = ctx.host;
    const afterok: string[] = [];
    for (const d of host.dependencies(job.handle, 'afterok')) {
      // Dependencies that already ended are settled here: Slurm forgets jobs after MinJobAge,
      // and afterok on a forgotten id makes sbatch fail.
      const outcome = ctx.outcomes.get(d);
      if (outcome === Outcome.OK) continue;
      const id = outcome === Outcome.FAILED ? undefined : await ctx.nativeIdOnceSubmitted(d);
      if (id === undefined || ctx.outcomes.get(d) === Outcome.FAILED) {
        const why = ctx.outcomes.get(d) === Outcome.FAILED ? 'did not complete' : 'never reached Slurm';
        this.#giveUp([job], 'dependency', `dependency ${host.jobid(d).f58} ${why}`);
        return undefined;
      }
      if (ctx.outcomes.get(d) !== Outcome.OK) afterok.push(id);
    }
    return { afterok, afterany: await ctx.afteranyIds(job.handle) };
  }

  /**
   * Renders, writes and submits one job or one array (the caller holds a submit slot); reports
   * the outcome of every job to the host.
   */
  async #sbatch(batch: SlurmJob[], env: Env, dependencies: BatchScriptInput['dependencies']): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    if (ctx.closed) return this.#giveUp(batch, undefined, '');
    // Canceled while waiting: they never reach Slurm.
    const jobs = batch.filter((j) => !j.cancelRequested);
    if (jobs.length < batch.length) this.#giveUp(batch.filter((j) => j.cancelRequested), undefined, '');
    if (jobs.length === 0) return;
    const first = jobs[0]!;
    const hold = first.wantHeld;
    let sbatchArgs: string[];
    let taskFiles: readonly TaskBodyFile[] = [];
    try {
      const rendered = jobs.length === 1 ? { ...renderBatchScript(this.#scriptInput(jobs, env, hold, dependencies)), taskFiles: [] } : this.#renderArray(jobs, env, hold, dependencies);
      await (this.#logDirReady ??= mkdir(ctx.logDir, { recursive: true }));
      taskFiles = rendered.taskFiles;
      await Promise.all(taskFiles.map((f) => writeFile(f.path, f.text, { mode: 0o600 })));
      const file = slurmScriptPath(ctx.logDir, first.f58);
      await writeFile(file, rendered.script, { mode: 0o700 });
      sbatchArgs = [...rendered.sbatchArgs, file];
    } catch (error) {
      return this.#giveUp(jobs, 'exec', `cannot prepare the batch script: ${errorText(error)}`);
    }
    let out: string;
    try {
      const retryable = retryFor(ctx.opts.submitRetryMs ?? DEFAULT_SUBMIT_RETRY_MS, slurmControllerUnreachable, () => ctx.closed);
      out = (await retry(() => ctx.commands.run('sbatch', sbatchArgs), retryable)).stdout;
    } catch (error) {
      await Promise.all(taskFiles.map((f) => rm(f.path, { force: true }).catch(() => undefined)));
      const text = error instanceof SchedulerCommandError ? lastLine(error.stderr) || error.message : errorText(error);
      const hasDeps = Object.values(dependencies).some((ids) => ids !== undefined && ids.length > 0);
      return this.#giveUp(jobs, hasDeps && /dependency/i.test(text) ? 'dependency' : 'exec', `sbatch failed: ${text}`);
    }
    const id = parseSbatchParsable(out);
    if (id === undefined) return this.#giveUp(jobs, 'exec', `sbatch printed no job id: ${firstLine(out)}`);
    const now = Date.now();
    jobs.forEach((j, i) => {
      j.nativeId = jobs.length > 1 ? `${id}_${i}` : id;
      j.knownAt = now;
      j.phase = Phase.QUEUED;
      j.held = hold;
      host.setNativeId(j.handle, j.nativeId);
      settleSubmitted(j, j.nativeId);
    });
    // What changed while sbatch ran (or, for a job that joined the batch, while it waited): cancels, urgency.
    for (const j of jobs) {
      if (j.cancelRequested) ctx.work.serial(j, () => scancel(ctx, j, []));
      else if (j.wantHeld !== j.held) ctx.work.serial(j, () => applyHold(ctx, j));
    }
  }

  /** The array script of several jobs of one shape: each task runs its own job. */
  #renderArray(jobs: SlurmJob[], env: Env, hold: boolean, dependencies: BatchScriptInput['dependencies']): ReturnType<typeof renderCoalescedBatchScript> {
    const host = this.#ctx.host;
    // Jobs of one Jobspec object share their task input (rendered once).
    const bySpec = new Map<object, SlurmTaskInput>();
    const tasks = jobs.map((j) => {
      const spec = host.spec(j.handle) as BatchSpecView;
      let job = bySpec.get(spec);
      if (!job) bySpec.set(spec, (job = this.#taskInput(spec, env)));
      return { id: j.f58, job };
    });
    return renderCoalescedBatchScript(this.#scriptInput(jobs, env, hold, dependencies), tasks);
  }

  /** What one job runs, resolved from its spec. */
  #taskInput(spec: BatchSpecView, env: Env): SlurmTaskInput {
    const logDir = this.#ctx.logDir;
    return {
      command: spec.command,
      environment: spec.environment ?? env.get(),
      name: jobName(spec),
      logDir,
      cwd: jobCwd(spec),
      ...pathTemplates(spec, logDir),
      numTasks: spec.numTasks,
      ...optional('files', spec.files),
    };
  }

  /** What the script and sbatch options are rendered from: the first job's spec, resolved, and the submission's options. */
  #scriptInput(jobs: SlurmJob[], env: Env, hold: boolean, dependencies: BatchScriptInput['dependencies']): BatchScriptInput {
    const ctx = this.#ctx;
    const spec = ctx.host.spec(jobs[0]!.handle) as BatchSpecView;
    return {
      ...this.#taskInput(spec, env),
      ids: jobs.map((j) => j.f58),
      coresPerTask: spec.coresPerTask,
      gpusPerTask: spec.gpusPerTask,
      ...(spec.numNodes !== undefined && { numNodes: spec.numNodes }),
      exclusive: spec.exclusive,
      duration: spec.duration,
      ...optional('partition', spec.queue ?? ctx.opts.partition),
      ...optional('account', ctx.opts.account),
      hold,
      dependencies,
      ...optional('arrayThrottle', ctx.opts.arrayThrottle),
      ...optional('mpi', jobMpi(spec)),
    };
  }

  /** The jobs never reach Slurm: raise `type` (unless canceled already), then abandon them. */
  #giveUp(jobs: SlurmJob[], type: string | undefined, note: string): void {
    abandonUnsubmitted(this.#ctx, jobs, type, note);
  }
}
