/**
 * {@link renderBatchScript}: the sbatch arguments and the bash batch script of one job or of one
 * array of jobs built from the same spec. Pure: no I/O, no clock, no environment.
 *
 * Resources, names, paths, dependencies and holds go on sbatch's argv (passed without a shell,
 * so nothing needs quoting there); what the job runs is the shared job script
 * (`../batch/job-script.ts`) with Slurm's profile: array tasks pick their job by
 * `SLURM_ARRAY_TASK_ID`, several tasks run through `srun`, and the command keeps Slurm's `SLURM*`
 * variables.
 *
 * @module
 */
import { DEPENDENCY_KINDS } from '../../core/lifecycle.js';
import type { DependencyKind } from '../../core/types.js';
import { renderCoalescedJobScript, type CoalescedTask, type TaskBodyFile } from '../batch/coalesced-script.js';
import { renderJobScript, type JobScriptInput } from '../batch/job-script.js';
import type { MpiInstallation } from '../batch/mpi.js';
import { expandPathTemplate } from '../batch/quote.js';
import { slurmFilenameLiteral } from './filename-pattern.js';
import { slurmTaskLaunch, type SlurmTaskLaunch } from './mpi.js';

/** What {@link renderBatchScript} needs: the job (see {@link JobScriptInput}) and Slurm's options. */
export interface BatchScriptInput extends JobScriptInput {
  /** `--cpus-per-task`. */
  readonly coresPerTask: number;
  /** `--gpus-per-task` when > 0. */
  readonly gpusPerTask: number;
  /** `--nodes`, if set. */
  readonly numNodes?: number;
  /** `--exclusive`. */
  readonly exclusive: boolean;
  /** Time limit in seconds; 0 = none. Becomes `--time` in whole minutes, rounded up. */
  readonly duration: number;
  /** `--partition`. */
  readonly partition?: string;
  /** `--account`. */
  readonly account?: string;
  /** Submit held (`--hold`, urgency 0). */
  readonly hold: boolean;
  /**
   * Slurm job ids this job runs after: `afterok` ones if they complete, `afterany` ones whatever
   * their end (`--dependency=afterok:a:b,afterany:c`; a comma means both).
   */
  readonly dependencies: Readonly<Partial<Record<DependencyKind, readonly string[]>>>;
  /** Arrays: at most this many tasks at once (`--array=...%N`). */
  readonly arrayThrottle?: number;
  /** An MPI job's MPI (several tasks and the `mpi` option): its ranks start as one MPI job (see `mpi.ts`). */
  readonly mpi?: MpiInstallation;
}

/** The output of {@link renderBatchScript}. */
export interface RenderedBatchScript {
  /** sbatch options, without the script path (e.g. `['--parsable', '--job-name=x', ...]`). */
  readonly sbatchArgs: string[];
  /** The batch script's text. */
  readonly script: string;
}

/**
 * Slurm `--time` value for a duration in seconds: whole minutes rounded up (Slurm's resolution),
 * or `undefined` for 0 (unlimited).
 *
 * @example durationToTimeLimit(90) === '2'; durationToTimeLimit(0) === undefined
 */
export function durationToTimeLimit(seconds: number): string | undefined {
  if (!(seconds > 0)) return undefined;
  if (!Number.isFinite(seconds)) return undefined;
  return String(Math.ceil(seconds / 60));
}

/**
 * Renders the sbatch arguments and batch script of one job, or of an array (`ids.length > 1`).
 *
 * @throws RangeError when `ids` is empty.
 */
export function renderBatchScript(input: BatchScriptInput): RenderedBatchScript {
  const { ids } = input;
  if (ids.length === 0) throw new RangeError('renderBatchScript: no job ids');
  const array = ids.length > 1;
  const { profile, launcher } = taskLaunch(input);
  const script = renderJobScript(input, profile, { launcher });
  return { sbatchArgs: sbatchArgs(input, array), script };
}

/** What one job of a coalesced array runs (its own spec, resolved); the shape comes from the array. */
export type SlurmTaskInput = Omit<JobScriptInput, 'ids'>;

/** The output of {@link renderCoalescedBatchScript}. */
export interface RenderedCoalescedScript extends RenderedBatchScript {
  /** Task body files to write before sbatch (empty when every task runs the same body). */
  readonly taskFiles: readonly TaskBodyFile[];
}

/**
 * Renders one `sbatch --array` of several jobs that share a resource shape but may differ in
 * everything they run: the sbatch options come from `shape` (its `ids` are the tasks' ids, in
 * order; its name and cwd are the first job's), the script from `tasks` (the kit's
 * `renderCoalescedJobScript`: task `i` runs `tasks[i]`, through a task body file when bodies differ).
 *
 * @throws RangeError when `tasks` is empty or its ids are not `shape.ids`.
 */
export function renderCoalescedBatchScript(shape: BatchScriptInput, tasks: readonly CoalescedTask[]): RenderedCoalescedScript {
  if (tasks.length === 0 || tasks.length !== shape.ids.length || tasks.some((t, i) => t.id !== shape.ids[i])) {
    throw new RangeError('renderCoalescedBatchScript: the tasks must be the shape\'s ids, in order');
  }
  const { profile, launcher } = taskLaunch(shape);
  const { script, taskFiles } = renderCoalescedJobScript(tasks, profile, { launcher });
  return { sbatchArgs: sbatchArgs(shape, tasks.length > 1), script, taskFiles };
}

/** How the tasks start: srun with the job's own task count, cores and GPUs, or its MPI launch. */
function taskLaunch(input: BatchScriptInput): SlurmTaskLaunch {
  const args = [
    '--export=ALL',
    `--ntasks=${input.numTasks}`,
    `--cpus-per-task=${input.coresPerTask}`,
    ...(input.gpusPerTask > 0 ? [`--gpus-per-task=${input.gpusPerTask}`] : []),
    '--kill-on-bad-exit=0',
    '--',
  ];
  return slurmTaskLaunch(args, input.numTasks, input.mpi);
}

function sbatchArgs(input: BatchScriptInput, array: boolean): string[] {
  const a = ['--parsable', `--job-name=${sbatchJobName(input.name)}`, `--chdir=${input.cwd}`];
  a.push(`--ntasks=${input.numTasks}`, `--cpus-per-task=${input.coresPerTask}`);
  if (input.numNodes !== undefined) a.push(`--nodes=${input.numNodes}`);
  if (input.exclusive) a.push('--exclusive');
  if (input.gpusPerTask > 0) a.push(`--gpus-per-task=${input.gpusPerTask}`);
  const time = durationToTimeLimit(input.duration);
  if (time !== undefined) a.push(`--time=${time}`);
  if (input.partition !== undefined) a.push(`--partition=${input.partition}`);
  if (input.account !== undefined) a.push(`--account=${input.account}`);
  if (array) {
    // Each task opens its own F58-named files in the script; Slurm's own files are not needed.
    const throttle = input.arrayThrottle !== undefined && input.arrayThrottle > 0 ? `%${input.arrayThrottle}` : '';
    a.push(`--array=0-${input.ids.length - 1}${throttle}`, '--output=/dev/null', '--error=/dev/null');
  } else {
    const id = input.ids[0]!;
    const out = expandPathTemplate(input.stdout, id, input.name);
    const err = expandPathTemplate(input.stderr, id, input.name);
    a.push(`--output=${slurmFilenameLiteral(out)}`);
    if (err !== out) a.push(`--error=${slurmFilenameLiteral(err)}`);
    if (input.stdin !== undefined) a.push(`--input=${slurmFilenameLiteral(expandPathTemplate(input.stdin, id, input.name))}`);
  }
  // ALL, not NONE: Slurm 22.05 turns NONE into --get-user-env (a login shell per job, 2.4x
  // slower on 200 jobs); the script clears the environment itself.
  a.push('--export=ALL');
  if (input.hold) a.push('--hold');
  const clauses = DEPENDENCY_KINDS.filter((k) => (input.dependencies[k]?.length ?? 0) > 0).map((k) => `${k}:${input.dependencies[k]!.join(':')}`);
  if (clauses.length > 0) a.push(`--dependency=${clauses.join(',')}`, '--kill-on-invalid-dep=yes');
  return a;
}

/** Job name for `--job-name`: control characters (which would break one-line outputs) become `_`. */
function sbatchJobName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, '_');
}
