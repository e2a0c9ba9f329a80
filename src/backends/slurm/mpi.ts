/**
 * MPI jobs on Slurm (a job with more than one task and the `mpi` option): the ranks are one Slurm
 * step started by an MPI-aware launcher inside the batch allocation, under the shared job script's
 * reaper (one status file per rank).
 *
 * - `mpich`: `srun --mpi=pmi2` (Slurm's built-in PMI2 server; MPICH's library speaks it), ranks
 *   numbered by `SLURM_PROCID`.
 * - `openmpi`: `mpirun` in the allocation, ranks numbered by `OMPI_COMM_WORLD_RANK`. Open MPI reads
 *   the allocation from `SLURM_*` and starts its daemons on other nodes with `srun`. (Direct
 *   `srun --mpi=pmix` launch needs slurmd's PMIx plugin, which Debian's slurmd only loads when
 *   `libpmix2` was installed before it started; without it a step hangs in launch.)
 * - `auto`: the flavour of the default `mpirun`/`mpiexec` of the submitting machine.
 *
 * The launcher is looked up at `check()` on the submitting machine with the job's `PATH`: the
 * nodes are assumed to have the same MPI.
 *
 * @module
 */
import type { TaskLauncher } from '../batch/job-script.js';
import { MPI_RANK_VARIABLE, jobMpi, mpiSchedulerProfile, mpirunTaskLauncher, type MpiInstallation } from '../batch/mpi.js';
import type { SchedulerProfile } from '../batch/scheduler-profile.js';
import type { BatchSpecView } from '../batch/spec.js';
import { SLURM_PROFILE } from './profile.js';

/** How the tasks of one Slurm job are started: the job script's profile and launcher. */
export interface SlurmTaskLaunch {
  readonly profile: SchedulerProfile;
  readonly launcher: TaskLauncher;
}

/**
 * The profile and launcher of a job's tasks: plain `srun` with `srunArgs`, or, for an MPI job
 * (`mpi` defined), the MPI launch described in this module.
 */
export function slurmTaskLaunch(srunArgs: readonly string[], numTasks: number, mpi: MpiInstallation | undefined): SlurmTaskLaunch {
  if (mpi === undefined) return { profile: SLURM_PROFILE, launcher: { program: 'srun', args: srunArgs } };
  if (mpi.flavour === 'mpich') {
    return { profile: mpiSchedulerProfile(SLURM_PROFILE, SLURM_PROFILE.rankVariable), launcher: { program: 'srun', args: ['--mpi=pmi2', ...srunArgs] } };
  }
  return { profile: mpiSchedulerProfile(SLURM_PROFILE, MPI_RANK_VARIABLE.openmpi), launcher: mpirunTaskLauncher(mpi, numTasks) };
}

/**
 * Whether the job's tasks run in an `srun` step (several tasks, not Open MPI's `mpirun`): a signal
 * then goes to the step's tasks only; otherwise to the whole batch step (`scancel --full`), where
 * `mpirun` and its ranks run.
 */
export function tasksRunInSrunStep(spec: BatchSpecView): boolean {
  if (spec.numTasks <= 1) return false;
  try {
    return jobMpi(spec)?.flavour !== 'openmpi';
  } catch {
    return true; // check() refused it already; the job never reaches Slurm
  }
}
