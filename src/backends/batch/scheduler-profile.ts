/**
 * {@link SchedulerProfile}: what the shared job script and reaper need to know about one
 * scheduler (its variables, its array index, its restart and rank variables).
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { isShellName } from './quote.js';
import { reaperSource } from './reaper.js';
import { SchedulerVariables } from './scheduler-variables.js';

/** The facts about a scheduler, as {@link defineSchedulerProfile} takes them. */
export interface SchedulerProfileInput {
  /**
   * Variables the scheduler sets in a job (`NAME` or `PREFIX*`): the command keeps the scheduler's
   * values, and a spec's own values for them are dropped (a stale `SLURM_JOB_ID` from an enclosing
   * allocation would misdirect `srun`). Slurm: `['SLURM*']`.
   */
  readonly variables: readonly string[];
  /**
   * Of those, the ones a spec may still set, which then win over the scheduler's (old scripts of
   * one-job-per-index fan-outs read them). Slurm: `['SLURM_ARRAY_TASK_ID']`.
   */
  readonly specMaySet?: readonly string[];
  /** The variable holding an array task's index. Slurm: `SLURM_ARRAY_TASK_ID`; Grid Engine: `SGE_TASK_ID`. */
  readonly arrayIndexVariable: string;
  /** The index of an array's first task. Slurm: 0 (`--array=0-N`); Grid Engine: 1 (`-t 1-N`). */
  readonly firstArrayIndex: number;
  /**
   * A variable the scheduler sets to a number other than 0 when it runs a job again (requeue,
   * restart): the script then removes the previous run's status files. Slurm:
   * `SLURM_RESTART_COUNT`; Grid Engine: `RESTARTED`.
   */
  readonly restartVariable?: string;
  /**
   * The variable holding a task's rank in a multi-task launch. Slurm: `SLURM_PROCID`. It must be
   * one of {@link SchedulerProfileInput.variables} (the reaper reads it after clearing the rest).
   */
  readonly rankVariable: string;
}

/** A checked {@link SchedulerProfileInput} with its reaper's Perl source. */
export interface SchedulerProfile {
  /** See {@link SchedulerProfileInput.variables}. */
  readonly variables: SchedulerVariables;
  /** See {@link SchedulerProfileInput.specMaySet}. */
  readonly specMaySet: ReadonlySet<string>;
  /** See {@link SchedulerProfileInput.arrayIndexVariable}. */
  readonly arrayIndexVariable: string;
  /** See {@link SchedulerProfileInput.firstArrayIndex}. */
  readonly firstArrayIndex: number;
  /** See {@link SchedulerProfileInput.restartVariable}. */
  readonly restartVariable: string | undefined;
  /** See {@link SchedulerProfileInput.rankVariable}. */
  readonly rankVariable: string;
  /** The reaper for this scheduler (see `reaper.ts`). */
  readonly reaper: string;
}

/**
 * Checks a scheduler's facts and builds its profile (do it once, at module load).
 *
 * @throws {@link InvalidArgumentError} for names that are not shell variable names, a rank
 *   variable outside `variables`, or a negative first index.
 */
export function defineSchedulerProfile(input: SchedulerProfileInput): SchedulerProfile {
  const variables = new SchedulerVariables(input.variables);
  for (const [key, name] of [['arrayIndexVariable', input.arrayIndexVariable], ['restartVariable', input.restartVariable], ['rankVariable', input.rankVariable]] as const) {
    if (name !== undefined && !isShellName(name)) throw new InvalidArgumentError(key, `'${name}' is not a variable name`);
  }
  if (!variables.matches(input.rankVariable)) throw new InvalidArgumentError('rankVariable', `'${input.rankVariable}' must be one of the scheduler's variables (${variables.patterns.join(', ')})`);
  if (!(Number.isInteger(input.firstArrayIndex) && input.firstArrayIndex >= 0)) {
    throw new InvalidArgumentError('firstArrayIndex', `must be a non-negative integer (got ${input.firstArrayIndex})`);
  }
  return {
    variables,
    specMaySet: new Set(input.specMaySet ?? []),
    arrayIndexVariable: input.arrayIndexVariable,
    firstArrayIndex: input.firstArrayIndex,
    restartVariable: input.restartVariable,
    rankVariable: input.rankVariable,
    reaper: reaperSource({ variables, rankVariable: input.rankVariable }),
  };
}
