/**
 * {@link SlurmSubmitter}: the Slurm backend's submissions. Jobs of one `submit` call that share a
 * Jobspec object, have no dependencies and the same urgency go out as one `sbatch --array` (split
 * at `MaxArraySize`); others one by one, their dependencies as `--dependency=` on the
 * dependencies' Slurm ids (waiting for their sbatch if needed). sbatch calls run
 * `submitConcurrency` at a time and are retried while the controller cannot be reached.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { JobHandle } from '../../core/backend.js';
import { SchedulerCommandError } from '../batch/commands.js';
import { retry, retryFor } from '../batch/retry.js';
import { Outcome } from '../batch/outcomes.js';
import { jobMpi } from '../batch/mpi.js';
import { jobCwd, jobName, Lazy, pathTemplates, processEnvironment, type BatchSpecView } from '../batch/spec.js';
import { SubmitSlots } from '../batch/submit-slots.js';
import { errorText, firstLine, lastLine } from '../batch/text.js';
import { applyHold, scancel } from './control.js';
import { DEFAULT_MAX_ARRAY_SIZE, type SlurmContext } from './context.js';
import { slurmControllerUnreachable } from './errors.js';
import { newSubmittedJob, Phase, settleSubmitted, type SlurmJob } from './job.js';
import { tasksRunInSrunStep } from './mpi.js';
import { parseSbatchParsable } from './parse.js';
import { slurmScriptPath } from './profile.js';
import { renderBatchScript, type BatchScriptInput } from './render-batch-script.js';

type Env = Lazy<Record<string, string>>;

/** Submits jobs with sbatch in the background and reports the outcome through the host. */
export class SlurmSubmitter {
  readonly #ctx: SlurmContext;
  readonly #slots: SubmitSlots;
  #logDirReady: Promise<unknown> | undefined;

  constructor(ctx: SlurmContext) {
    this.#ctx = ctx;
    this.#slots = new SubmitSlots(ctx.opts.submitConcurrency ?? 4);
  }

  /** Groups `jobs` into arrays and single jobs and starts their sbatch calls (tracked, not awaited). */
  submit(jobs: readonly JobHandle[]): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    // Fan-outs: same Jobspec object, no dependencies, same urgency.
    const groups = new Map<object, Map<number, SlurmJob[]>>();
    const singles: SlurmJob[] = [];
    const starts: (() => Promise<void>)[] = [];
    for (const handle of jobs) {
      const spec = host.spec(handle) as BatchSpecView;
      const urgency = host.urgency(handle);
      const job = newSubmittedJob(handle, host.jobid(handle).f58, tasksRunInSrunStep(spec), urgency);
      ctx.jobs.set(handle, job);
      if (host.dependencies(handle, 'afterok').length > 0 || host.dependencies(handle, 'afterany').length > 0) {
        singles.push(job);
        continue;
      }
      let byUrgency = groups.get(spec as object);
      if (!byUrgency) groups.set(spec as object, (byUrgency = new Map()));
      let list = byUrgency.get(urgency);
      if (!list) byUrgency.set(urgency, (list = []));
      list.push(job);
    }
    const env = new Lazy(() => processEnvironment());
    for (const byUrgency of groups.values()) {
      for (const list of byUrgency.values()) {
        if (list.length === 1) singles.push(list[0]!);
        else starts.push(() => this.#submitArray(list, env));
      }
    }
    for (const job of singles) starts.push(() => this.#submitOne(job, env));
    for (const start of starts) ctx.work.track(start());
  }

  /** Lets queued submissions through at once (they see the backend closed and give up). */
  close(): void {
    this.#slots.close();
    // Submissions waiting for a dependency's sbatch must not wait for ever.
    for (const j of this.#ctx.jobs.values()) if (j.phase === Phase.SUBMITTING) settleSubmitted(j, undefined);
  }

  async #submitOne(job: SlurmJob, env: Env): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    const afterok: string[] = [];
    const afterany: string[] = [];
    for (const d of host.dependencies(job.handle, 'afterok')) {
      // Dependencies that already ended are settled here: Slurm forgets jobs after MinJobAge,
      // and afterok on a forgotten id makes sbatch fail.
      const outcome = ctx.outcomes.get(d);
      if (outcome === Outcome.OK) continue;
      const id = outcome === Outcome.FAILED ? undefined : await this.#slurmIdOf(d);
      if (id === undefined || ctx.outcomes.get(d) === Outcome.FAILED) {
        const why = ctx.outcomes.get(d) === Outcome.FAILED ? 'did not complete' : 'never reached Slurm';
        this.#giveUp([job], 'dependency', `dependency ${host.jobid(d).f58} ${why}`);
        return;
      }
      if (ctx.outcomes.get(d) !== Outcome.OK) afterok.push(id);
    }
    for (const d of host.dependencies(job.handle, 'afterany')) {
      // An ended dependency (or one that never reached Slurm, and so ends here) is met.
      if (ctx.outcomes.get(d) !== Outcome.UNKNOWN) continue;
      const id = await this.#slurmIdOf(d);
      if (id !== undefined && ctx.outcomes.get(d) === Outcome.UNKNOWN) afterany.push(id);
    }
    await this.#sbatch([job], env, { afterok, afterany });
  }

  /** The Slurm id of a job of this backend, once its sbatch returned (undefined if it never got one). */
  #slurmIdOf(job: JobHandle): Promise<string | undefined> {
    return this.#ctx.jobs.get(job)?.submitted ?? Promise.resolve(this.#ctx.host.nativeId(job));
  }

  async #submitArray(jobs: SlurmJob[], env: Env): Promise<void> {
    let chunk = this.#ctx.opts.maxArraySize;
    if (chunk === undefined) {
      try {
        chunk = (await this.#ctx.clusterConfig()).maxArraySize;
      } catch {
        chunk = DEFAULT_MAX_ARRAY_SIZE;
      }
    }
    const parts: Promise<void>[] = [];
    for (let i = 0; i < jobs.length; i += chunk) parts.push(this.#sbatch(jobs.slice(i, i + chunk), env, {}));
    await Promise.all(parts);
  }

  /** Renders, writes and submits one job or one array; reports the outcome to the host. */
  async #sbatch(jobs: SlurmJob[], env: Env, dependencies: BatchScriptInput['dependencies']): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    await this.#slots.acquire();
    try {
      if (ctx.closed) return this.#giveUp(jobs, undefined, '');
      const live = jobs.filter((j) => !j.cancelRequested);
      if (live.length === 0) return this.#giveUp(jobs, undefined, '');
      const first = jobs[0]!;
      const hold = first.wantHeld;
      let sbatchArgs: string[];
      try {
        const rendered = renderBatchScript(this.#scriptInput(jobs, env, hold, dependencies));
        await (this.#logDirReady ??= mkdir(ctx.logDir, { recursive: true }));
        const file = slurmScriptPath(ctx.logDir, first.f58);
        await writeFile(file, rendered.script, { mode: 0o700 });
        sbatchArgs = [...rendered.sbatchArgs, file];
      } catch (error) {
        return this.#giveUp(jobs, 'exec', `cannot prepare the batch script: ${errorText(error)}`);
      }
      let out: string;
      try {
        const retryable = retryFor(ctx.opts.submitRetryMs ?? 60_000, slurmControllerUnreachable, () => ctx.closed);
        out = (await retry(() => ctx.commands.run('sbatch', sbatchArgs), retryable)).stdout;
      } catch (error) {
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
      // What changed while sbatch ran: cancels, urgency.
      for (const j of jobs) {
        if (j.cancelRequested) ctx.work.serial(j, () => scancel(ctx, j, []));
        else if (j.wantHeld !== j.held) ctx.work.serial(j, () => applyHold(ctx, j));
      }
    } finally {
      this.#slots.release();
    }
  }

  /** What the jobs' script is rendered from: the first job's spec, resolved. */
  #scriptInput(jobs: SlurmJob[], env: Env, hold: boolean, dependencies: BatchScriptInput['dependencies']): BatchScriptInput {
    const ctx = this.#ctx;
    const spec = ctx.host.spec(jobs[0]!.handle) as BatchSpecView;
    return {
      ids: jobs.map((j) => j.f58),
      command: spec.command,
      environment: spec.environment ?? env.get(),
      name: jobName(spec),
      logDir: ctx.logDir,
      cwd: jobCwd(spec),
      ...pathTemplates(spec, ctx.logDir),
      numTasks: spec.numTasks,
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
      ...optional('files', spec.files),
      ...optional('mpi', jobMpi(spec)),
    };
  }

  /** The jobs never reach Slurm: raise `type` (unless canceled already), then abandon them. */
  #giveUp(jobs: SlurmJob[], type: string | undefined, note: string): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    for (const j of jobs) {
      if (j.phase === Phase.DONE) continue;
      ctx.done(j);
      settleSubmitted(j, undefined);
      if (ctx.closed) continue;
      if (type !== undefined && !j.cancelRequested) host.exception(j.handle, type, 0, note);
      host.abandoned(j.handle);
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
