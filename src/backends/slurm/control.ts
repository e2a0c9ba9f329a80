/**
 * Control commands of one Slurm job: `scancel` (cancel, signals) and `scontrol hold`/`release`
 * (urgency 0). Failures are ignored: the job may have ended meanwhile, and the polls tell.
 *
 * @module
 */
import { applyHoldWith } from '../batch/tracked-job.js';
import type { SlurmContext } from './context.js';
import type { SlurmJob } from './job.js';

/** `scancel [args] <id>`; a failure is left to the next poll. */
export async function scancel(ctx: SlurmContext, j: SlurmJob, args: readonly string[]): Promise<void> {
  try {
    await ctx.commands.run('scancel', [...args, j.nativeId!]);
    if (args.length === 0) j.cancelSent = true;
  } catch {
    // The job may have ended meanwhile; the next poll tells what happened.
  }
}

/** Holds or releases the job so that Slurm's hold matches `wantHeld`. */
export function applyHold(ctx: SlurmContext, j: SlurmJob): Promise<void> {
  return applyHoldWith(j, (tool, args) => ctx.commands.run(tool, args), (hold, id) => ['scontrol', [hold ? 'hold' : 'release', id]]);
}

/** The scancel arguments that deliver `signal` to the job's command. */
export function signalArgs(j: SlurmJob, signal: NodeJS.Signals): string[] {
  // One task: the batch step is the job (--full). Several: only the srun step's tasks, or the
  // tasks would get the signal twice (once more from srun forwarding it).
  return [`--signal=${signal.replace(/^SIG/, '')}`, ...(j.multiTask ? [] : ['--full'])];
}
