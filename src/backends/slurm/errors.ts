/**
 * How the Slurm backend reads the failures of Slurm's tools.
 *
 * @module
 */
import { SchedulerCommandError } from '../batch/commands.js';

/**
 * Whether a failed Slurm command could not reach the controller (so a submission certainly did
 * not happen and may be retried).
 */
export function slurmControllerUnreachable(error: unknown): boolean {
  return error instanceof SchedulerCommandError && /connect failure|Connection refused/i.test(error.stderr);
}
