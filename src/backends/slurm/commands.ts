/**
 * The command runner for Slurm's tools (sbatch, squeue, scontrol, scancel, sacct): the shared
 * {@link SchedulerCommands} with Slurm's environment.
 *
 * @module
 */
import { SchedulerCommands, toolEnvironment } from '../batch/commands.js';

/**
 * The environment for Slurm's tools: only what they need from `env` (`PATH`, `HOME`, `USER`,
 * `LOGNAME`, `LANG`, `SLURM_CONF`, `SLURM_CLUSTERS`, and `SBATCH_*` defaults such as
 * `SBATCH_PARTITION`), plus `SLURM_BITSTR_LEN=0` (full array task lists in squeue) and
 * `SLURM_TIME_FORMAT=standard`. Other `SLURM_*` variables (an enclosing allocation's
 * `SLURM_JOB_ID`, ...) and `SQUEUE_*` overrides stay out, so output formats and jobs are the same
 * wherever the backend runs. With `sbatch --export=ALL` this is also all the job inherits
 * before its script sets the job's own environment.
 */
export function slurmToolEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return toolEnvironment(env, { names: ['SLURM_CONF', 'SLURM_CLUSTERS'], prefixes: ['SBATCH_'], set: { SLURM_BITSTR_LEN: '0', SLURM_TIME_FORMAT: 'standard' } });
}

/** A runner for Slurm's tools, with {@link slurmToolEnvironment} of this process. */
export function slurmCommands(opts: { prefix?: readonly string[]; timeoutMs?: number } = {}): SchedulerCommands {
  return new SchedulerCommands({ ...opts, env: slurmToolEnvironment(process.env) });
}
