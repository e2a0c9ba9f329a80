/**
 * MPI jobs on the local backend: a job with more than one task and the `mpi` option runs as ONE
 * process, the installed MPI's launcher (`mpirun -np N -- CMD`, `mpiexec -n N CMD`), which starts
 * the ranks. Its cores are still `numTasks × coresPerTask`. The launcher is looked up on the job's
 * `PATH` (its environment's, else this process's) at `check()`, so a missing MPI is a typed error
 * at submit and no job is made. Building the command is `../batch/mpi.ts`, shared with the other
 * backends.
 *
 * @module
 */
import type { Jobspec } from '../../jobspec/index.js';
import { isMpiJob, jobMpi, mpiLaunchCommand, withRankVariables } from '../batch/mpi.js';
import type { LaunchPlan } from './job-files.js';

export { isMpiJob };

/** The number of processes the backend starts for the job: 1 (the MPI launcher) for an MPI job, else one per task. */
export function processCount(spec: Jobspec): number {
  return isMpiJob(spec) ? 1 : spec.numTasks;
}

/**
 * Throws unless the spec's MPI (if it asks for one) is installed on its `PATH`.
 *
 * @throws {@link MpiNotFoundError} naming the launchers and folders looked at.
 */
export function checkMpi(spec: Jobspec): void {
  jobMpi(spec);
}

/**
 * The plan of an MPI job: the launcher's argv and environment around the job's own; other plans
 * unchanged. Each rank gets its own `JOBFUTURES_TASK_RANK` and the job's size
 * ({@link withRankVariables}; the backend gives its one launcher process rank 0 of 1).
 */
export function withMpiLauncher(spec: Jobspec, plan: LaunchPlan): LaunchPlan {
  const mpi = jobMpi(spec);
  if (mpi === undefined) return plan;
  const { argv, env } = mpiLaunchCommand(mpi, { numTasks: spec.numTasks, command: withRankVariables(mpi, spec.numTasks, plan.argv) });
  let planEnv = plan.env;
  if (env.length > 0) {
    let cached = envCache.get(plan.env);
    if (cached === undefined) envCache.set(plan.env, (cached = [...plan.env, ...env]));
    planEnv = cached;
  }
  return { ...plan, argv, env: planEnv };
}

/** Job environments with the launcher's additions, by the base list's identity (spawners cache by identity). */
const envCache = new WeakMap<readonly string[], readonly string[]>();

export { killDescendants } from '../batch/mpi.js';
