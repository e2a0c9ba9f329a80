/**
 * `jobf resubmit`: puts finished jobs back in the queue with the same id and spec (a new attempt;
 * the old events are kept). Local jobs then wait for `jobf execute`; Slurm jobs are submitted again
 * by the `submitSlurm` hook.
 */
import type { JobRecord } from '../../store/index.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import {
  FILTER_OPTIONS,
  JobActiveError,
  NotAvailableError,
  filterFrom,
  parseIds,
  selectJobs,
  type CommandContext,
} from '../context.js';
import { removeLogs } from './delete.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'resubmit',
  summary: 'queue finished jobs again (all by default) with the same id and spec',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [
    { name: 'failed-only', help: 'only jobs that did not complete successfully' },
    { name: 'clean', help: 'remove the old log files first' },
    ...FILTER_OPTIONS,
  ],
};

/** Runs `jobf resubmit`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  const failedOnly = args.flag('failed-only');
  const store = ctx.openStore('write');
  try {
    // Named jobs must have finished; without ids, active jobs are simply not candidates.
    const choose = (): JobRecord[] => {
      const jobs = selectJobs(store, filter, ids);
      if (ids.length > 0) {
        const active = jobs.find((r) => r.state !== 'INACTIVE');
        if (active) throw new JobActiveError(active.jobid.f58, active.state, 'only finished jobs can be resubmitted');
      }
      return jobs.filter((r) => r.state === 'INACTIVE' && (!failedOnly || r.result !== 'COMPLETED'));
    };
    if (choose().some((r) => r.backend === 'slurm') && ctx.hooks.submitSlurm === undefined) {
      throw new NotAvailableError('resubmitting Slurm jobs');
    }
    const requeued = store.transaction(() =>
      choose().map((rec) => {
        // Under the write lock nobody can start the job again before its old logs are gone.
        if (args.flag('clean')) removeLogs(rec);
        return store.requeue(rec.jobid);
      }),
    );
    const slurm = requeued.filter((r) => r.backend === 'slurm').map((r) => r.jobid);
    if (slurm.length > 0) await ctx.hooks.submitSlurm!(ctx, { store, ids: slurm });
    const out = requeued.map((r) => r.jobid.f58);
    if (ctx.json) ctx.io.out(JSON.stringify(out) + '\n');
    else if (out.length === 0) ctx.io.err(`jobf: no jobs to resubmit${failedOnly ? ' (--failed-only: none failed)' : ' (only finished jobs are resubmitted)'}\n`);
    else ctx.io.out(out.map((id) => id + '\n').join(''));
    return 0;
  } finally {
    store.close();
  }
}
