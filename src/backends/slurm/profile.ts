/**
 * Slurm's facts for the shared job script (its variables, array index, restart count, task rank),
 * and the name of its generated scripts.
 *
 * @module
 */
import { scriptPath } from '../batch/job-files.js';
import { defineSchedulerProfile } from '../batch/scheduler-profile.js';

/**
 * Slurm as the shared job script sees it: it sets `SLURM*` in every job (kept; a spec's own are
 * dropped except `SLURM_ARRAY_TASK_ID`, which old scripts of one-job-per-index fan-outs read),
 * numbers array tasks from 0, counts restarts in `SLURM_RESTART_COUNT`, and ranks `srun` tasks in
 * `SLURM_PROCID`.
 */
export const SLURM_PROFILE = defineSchedulerProfile({
  variables: ['SLURM*'],
  specMaySet: ['SLURM_ARRAY_TASK_ID'],
  arrayIndexVariable: 'SLURM_ARRAY_TASK_ID',
  firstArrayIndex: 0,
  restartVariable: 'SLURM_RESTART_COUNT',
  rankVariable: 'SLURM_PROCID',
});

/** Perl source of the reaper of Slurm jobs (see `../batch/reaper.ts`). */
export const REAPER_SOURCE = SLURM_PROFILE.reaper;

/** Suffix of generated Slurm batch scripts. */
export const SLURM_SCRIPT_SUFFIX = '.sbatch';

/** Path of the generated script of a submission (named after its first job): `<logDir>/<f58>.sbatch`. */
export function slurmScriptPath(logDir: string, f58: string): string {
  return scriptPath(logDir, f58, SLURM_SCRIPT_SUFFIX);
}
