/**
 * {@link SgeSubmitter}: the Grid Engine backend's submissions, coalesced by the batch kit's
 * {@link SubmitCoalescer}: jobs handed over in one turn of the event loop, and jobs handed over
 * while a qsub of their shape (held or not, slots, parallel environment, time limit, queue) is in
 * flight, go out together as one `qsub -t 1-N` array (split at `maxArraySize`, at 1000 when their
 * specs differ), each task running its own spec. A job with `afterany` dependencies first waits
 * for their job numbers (their qsub), then goes out the same way with the jobs of its shape and the
 * same numbers, as `-hold_jid`. `afterok` is held by the engine (the job is handed over once its
 * dependencies completed). qsub calls run `submitConcurrency` at a time and are retried while
 * qmaster cannot be reached; a batch that fails fails every job in it.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { JobHandle } from '../../core/backend.js';
import { SubmitCoalescer } from '../batch/coalescer.js';
import { SchedulerCommandError } from '../batch/commands.js';
import { scriptPath } from '../batch/job-files.js';
import { isMpiJob, jobMpi, mpiLaunchCommand, withRankVariables } from '../batch/mpi.js';
import { retry, retryFor } from '../batch/retry.js';
import { jobCwd, jobName, Lazy, pathTemplates, processEnvironment, type BatchSpecView } from '../batch/spec.js';
import { SubmitSlots } from '../batch/submit-slots.js';
import { abandonUnsubmitted, closeSubmissions } from '../batch/tracked-job.js';
import { firstLine } from '../batch/text.js';
import { errorText } from '../../util/errors.js';
import { sgeQmasterUnreachable } from './commands.js';
import { SGE_SCRIPT_SUFFIX, type SgeContext } from './context.js';
import { applyHold, type QdelBatch } from './control.js';
import { jobNumber, newSubmittedJob, Phase, settleSubmitted, type SgeJob } from './job.js';
import { parseQsubTerse, qsubErrorLine } from './parse.js';
import { durationToHardRuntime, renderSgeScript, type SgeScriptInput, type SgeTaskFields } from './render-script.js';
import { DEFAULT_SUBMIT_CONCURRENCY, DEFAULT_SUBMIT_RETRY_MS } from '../batch/options.js';

type Env = Lazy<Record<string, string>>;

/** Grid Engine's default `max_aj_tasks`. */
export const DEFAULT_MAX_ARRAY_SIZE = 75_000;
/** Most tasks of an array of jobs from different specs (every task's bash reads the whole script). */
export const MAX_MIXED_ARRAY = 1000;

/** Path of the generated script of a submission (named after its first job): `<logDir>/<f58>.sge`. */
export function sgeScriptPath(logDir: string, f58: string): string {
  return scriptPath(logDir, f58, SGE_SCRIPT_SUFFIX);
}

/** Submits jobs with qsub in the background and reports the outcome through the host. */
export class SgeSubmitter {
  readonly #ctx: SgeContext;
  readonly #qdel: QdelBatch;
  readonly #slots: SubmitSlots;
  /** Keys carry the `-hold_jid` job numbers of the jobs filed with them. */
  readonly #coalescer: SubmitCoalescer<SgeJob, readonly string[]>;
  #logDirReady: Promise<unknown> | undefined;

  constructor(ctx: SgeContext, qdel: QdelBatch) {
    this.#ctx = ctx;
    this.#qdel = qdel;
    this.#slots = new SubmitSlots(ctx.opts.submitConcurrency ?? DEFAULT_SUBMIT_CONCURRENCY);
    this.#coalescer = new SubmitCoalescer<SgeJob, readonly string[]>({
      slots: this.#slots,
      maxBatch: () => ctx.opts.maxArraySize ?? DEFAULT_MAX_ARRAY_SIZE,
      send: (batch, holdJids) => this.#sendBatch(batch, holdJids ?? []),
      track: (p) => ctx.work.track(p),
    });
  }

  /**
   * Files each job under its shape, to go out with the other jobs of that shape as one array; a
   * job with `afterany` dependencies once they have job numbers, under its shape and those
   * numbers (tracked, not awaited).
   */
  submit(jobs: readonly JobHandle[]): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    for (const handle of jobs) {
      const spec = host.spec(handle) as BatchSpecView;
      const urgency = host.urgency(handle);
      const job = newSubmittedJob(handle, host.jobid(handle).f58, urgency);
      ctx.jobs.set(handle, job);
      const key = this.#shapeKey(spec, urgency);
      if (host.dependencies(handle, 'afterany').length > 0) ctx.work.track(this.#fileWithDependencies(job, key));
      else this.#coalescer.add(key, job);
    }
  }

  /** What must be the same for jobs to share one array: hold, slots, parallel environment (MPI or not), time limit, queue. */
  #shapeKey(spec: BatchSpecView, urgency: number): string {
    const queue = spec.queue ?? this.#ctx.opts.queue ?? '';
    return `${urgency === 0 ? 'h' : ''}|${spec.numTasks * spec.coresPerTask}|${isMpiJob(spec) ? 'mpi' : ''}|${durationToHardRuntime(spec.duration) ?? ''}|${queue}`;
  }

  /** Lets queued submissions through at once (they see the backend closed and give up). */
  close(): void {
    closeSubmissions(this.#slots, this.#ctx.jobs.values());
  }

  /**
   * Waits for the job's `afterany` dependencies' job numbers (outside any submit slot: a slot held
   * while waiting could be the one the dependency needs), then files it with the jobs of its shape
   * and the same numbers.
   */
  async #fileWithDependencies(job: SgeJob, key: string): Promise<void> {
    // `afterok` dependencies are the engine's: it hands the job over once they completed.
    // -hold_jid names whole jobs: a dependency on one array task waits for the whole array.
    const holdJids = new Set((await this.#ctx.afteranyIds(job.handle)).map(jobNumber));
    if (holdJids.size === 0) return this.#coalescer.add(key, job);
    const ids = [...holdJids].sort();
    this.#coalescer.add(JSON.stringify([key, ids]), job, ids);
  }

  /**
   * One coalesced batch (the coalescer holds a slot): one qsub, or one per 1000 jobs when their
   * specs differ (every task's bash reads the whole script); every job reported.
   */
  async #sendBatch(batch: SgeJob[], holdJids: readonly string[]): Promise<void> {
    const host = this.#ctx.host;
    const first = host.spec(batch[0]!.handle);
    const chunk = batch.every((j) => host.spec(j.handle) === first) ? batch.length : MAX_MIXED_ARRAY;
    const env = new Lazy(() => processEnvironment());
    for (let i = 0; i < batch.length; i += chunk) {
      const jobs = batch.slice(i, i + chunk);
      try {
        await this.#qsub(jobs, env, holdJids);
      } catch (error) {
        // Nothing in #qsub should throw; if it does, no job of the batch is left behind.
        this.#giveUp(jobs, 'exec', `qsub failed: ${errorText(error)}`);
      }
    }
  }

  /** Renders, writes and submits one job or one array (the caller holds a submit slot); reports the outcome to the host. */
  async #qsub(jobs: SgeJob[], env: Env, holdJids: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    if (ctx.closed) return this.#giveUp(jobs, undefined, '');
    if (jobs.every((j) => j.cancelRequested)) return this.#giveUp(jobs, undefined, '');
    const first = jobs[0]!;
    const hold = first.wantHeld;
    let file: string;
    try {
      const rendered = renderSgeScript(this.#scriptInput(jobs, env, hold, holdJids));
      await (this.#logDirReady ??= mkdir(ctx.logDir, { recursive: true }));
      file = sgeScriptPath(ctx.logDir, first.f58);
      await writeFile(file, rendered.script, { mode: 0o700 });
    } catch (error) {
      return this.#giveUp(jobs, 'exec', `cannot prepare the job script: ${errorText(error)}`);
    }
    let out: string;
    try {
      const retryable = retryFor(ctx.opts.submitRetryMs ?? DEFAULT_SUBMIT_RETRY_MS, sgeQmasterUnreachable, () => ctx.closed);
      out = (await retry(() => ctx.commands.run('qsub', ['-terse', file]), retryable)).stdout;
    } catch (error) {
      const text = error instanceof SchedulerCommandError ? qsubErrorLine(error.stderr) || error.message : errorText(error);
      return this.#giveUp(jobs, 'exec', `qsub failed: ${text}`);
    }
    const parsed = parseQsubTerse(out);
    if (parsed === undefined) return this.#giveUp(jobs, 'exec', `qsub printed no job id: ${firstLine(out)}`);
    const now = Date.now();
    jobs.forEach((j, i) => {
      j.nativeId = jobs.length > 1 ? `${parsed.jobId}.${i + 1}` : parsed.jobId;
      j.knownAt = now;
      j.phase = Phase.QUEUED;
      j.held = hold;
      ctx.accounting.watch(j.nativeId);
      host.setNativeId(j.handle, j.nativeId);
      settleSubmitted(j, j.nativeId);
    });
    // What changed while qsub ran: cancels, urgency.
    for (const j of jobs) {
      if (j.cancelRequested) this.#qdel.add(j.nativeId!);
      else if (j.wantHeld !== j.held) ctx.work.serial(j, () => applyHold(ctx, j));
    }
  }

  /**
   * What the jobs' script is rendered from: the first job's spec, resolved; for jobs of several
   * specs, each job's own fields too.
   */
  #scriptInput(jobs: SgeJob[], env: Env, hold: boolean, holdJids: readonly string[]): SgeScriptInput {
    const ctx = this.#ctx;
    const specs = jobs.map((j) => ctx.host.spec(j.handle) as BatchSpecView);
    const spec = specs[0]!;
    const queue = spec.queue ?? ctx.opts.queue;
    const fields = (s: BatchSpecView): SgeTaskFields => ({
      ...mpiCommand(s, s.environment ?? env.get()),
      name: jobName(s),
      cwd: jobCwd(s),
      ...pathTemplates(s, ctx.logDir),
      ...(s.files !== undefined && { files: s.files }),
    });
    return {
      ids: jobs.map((j) => j.f58),
      ...fields(spec),
      ...(specs.some((s) => s !== spec) && { tasks: specs.map(fields) }),
      logDir: ctx.logDir,
      slots: spec.numTasks * spec.coresPerTask,
      parallelEnvironment: isMpiJob(spec) ? (ctx.opts.mpiParallelEnvironment ?? 'mpi') : (ctx.opts.smpParallelEnvironment ?? 'smp'),
      duration: spec.duration,
      ...(queue !== undefined && { queue }),
      ...(ctx.opts.project !== undefined && { project: ctx.opts.project }),
      hold,
      dependencies: holdJids,
      ...(ctx.opts.arrayThrottle !== undefined && { arrayThrottle: ctx.opts.arrayThrottle }),
    };
  }

  /** The jobs never reach Grid Engine: raise `type` (unless canceled already), then abandon them. */
  #giveUp(jobs: SgeJob[], type: string | undefined, note: string): void {
    abandonUnsubmitted(this.#ctx, jobs, type, note);
  }
}

/**
 * The command and environment the job script runs: the spec's own, or for an MPI job its MPI's
 * launcher (`mpirun -np N [--oversubscribe] -- CMD`, `mpiexec -n N CMD`, see `../batch/mpi.ts`)
 * with the launcher's variables (Open MPI as root) added. The launcher runs as the job's one
 * process, under the reaper: the status file is the launcher's, and the launcher reads the
 * parallel environment's slots from Grid Engine (`PE_HOSTFILE`, `NSLOTS`); each rank gets its own
 * `JOBFUTURES_TASK_RANK` ({@link withRankVariables}).
 */
function mpiCommand(spec: BatchSpecView, environment: Readonly<Record<string, string>>): { command: readonly string[]; environment: Readonly<Record<string, string>> } {
  const mpi = jobMpi(spec);
  if (mpi === undefined) return { command: spec.command, environment };
  const launch = mpiLaunchCommand(mpi, { numTasks: spec.numTasks, command: withRankVariables(mpi, spec.numTasks, spec.command) });
  if (launch.env.length === 0) return { command: launch.argv, environment };
  const added = Object.fromEntries(launch.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return { command: launch.argv, environment: { ...environment, ...added } };
}
