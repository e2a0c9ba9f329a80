/**
 * The `submitSlurm` hook: hands jobs that `jobf submit --backend slurm` (or `jobf resubmit`) just
 * stored to Slurm, and returns once each has its Slurm job id, without waiting for the jobs.
 *
 * The jobs are taken (owned) by this process through a Slurm executor on the store; once every
 * job has its native id (or was refused), the executor lets go of them without canceling them
 * (`JobExecutor.detach`). When this process has exited, their owner is dead: the next process that
 * needs them (`jobf wait`, `jobf stop`, a `JobExecutor` on the store) takes them over and follows
 * them in Slurm.
 */
import { JobfuturesError } from '../../util/errors.js';
import type { CommandContext } from '../context.js';
import { slurmExecutor, sleep } from '../executors.js';
import type { SubmitSlurmArgs } from '../hooks.js';

/** Slurm did not take some jobs. Exit code 2; the jobs are FAILED in the store. */
export class SlurmSubmitError extends JobfuturesError {
  /**
   * @param what - Which jobs, e.g. `job ƒabc`.
   * @param why - Slurm's answer.
   */
  constructor(what: string, why: string) {
    super('ERR_SLURM_SUBMIT', `Slurm did not take ${what}: ${why}`);
  }
}

/** Runs the `submitSlurm` hook. */
export async function submitSlurm(ctx: CommandContext, { store, ids }: SubmitSlurmArgs): Promise<void> {
  if (ids.length === 0) return;
  const ex = slurmExecutor(ctx, store);
  let futures;
  try {
    futures = ex.runQueued(ids);
    // sbatch runs in the background: wait until each job has its Slurm id or was refused.
    while (!ctx.signal.aborted && !futures.every((f) => f.nativeId !== undefined || f.done())) await sleep(20, ctx.signal);
  } finally {
    await ex.detach();
  }
  const refused = futures.filter((f) => f.done() && f.nativeId === undefined);
  if (refused.length > 0) {
    const first = refused[0]!.peek();
    const why = first?.exception ? first.exception.note : `ended ${first?.result ?? 'without a Slurm id'}`;
    const what = `job ${refused[0]!.id!.f58}` + (refused.length > 1 ? ` and ${refused.length - 1} more` : '');
    throw new SlurmSubmitError(what, why);
  }
  if (futures.length < ids.length) {
    throw new SlurmSubmitError(`${ids.length - futures.length} of the jobs`, 'another process took them first');
  }
}
