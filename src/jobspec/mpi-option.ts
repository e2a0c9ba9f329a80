/**
 * The MPI launcher option, `attributes.system.shell.options.mpi` (Flux's `flux run -o mpi=NAME`):
 * a job with more than one task and this option runs as ONE MPI job (one `mpirun`/`mpiexec`, or
 * one `srun --mpi=...` step) instead of as independent tasks. jobfutures accepts the values its
 * backends know how to launch; the rule lives here so every backend and front-end shares it.
 *
 * @module
 */
import { describeValue } from './pointer.js';
import type { JobspecIssue, JobspecV1Object } from './types.js';

/**
 * The values of the MPI option: `openmpi` (Open MPI's `mpirun`), `mpich` (MPICH's Hydra
 * `mpiexec`), `auto` (whichever MPI the machine's default `mpirun`/`mpiexec` belongs to).
 */
export const MPI_OPTION_VALUES = ['openmpi', 'mpich', 'auto'] as const;

/** A value of the MPI option (see {@link MPI_OPTION_VALUES}). */
export type MpiOption = (typeof MPI_OPTION_VALUES)[number];

/** JSON pointer of the MPI option. */
export const MPI_OPTION_POINTER = '/attributes/system/shell/options/mpi';

/** Whether `value` is one of {@link MPI_OPTION_VALUES}. */
export function isMpiOption(value: unknown): value is MpiOption {
  return typeof value === 'string' && (MPI_OPTION_VALUES as readonly string[]).includes(value);
}

/** The issue with the MPI option of `spec`, or `undefined` when it is absent or valid. */
export function mpiOptionIssues(spec: JobspecV1Object): JobspecIssue[] | undefined {
  const options = spec.attributes.system.shell?.options;
  if (options === undefined || !Object.hasOwn(options, 'mpi')) return undefined;
  const value = options.mpi;
  if (isMpiOption(value)) return undefined;
  return [{ path: MPI_OPTION_POINTER, message: `must be one of ${MPI_OPTION_VALUES.map((v) => `'${v}'`).join(', ')} (got ${describeValue(value)})` }];
}
