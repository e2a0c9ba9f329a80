/**
 * `jobf resubmit`: puts finished jobs back in the queue with the same id and spec (a new attempt;
 * the old events are kept). Jobs of queued backends (local) then wait for `jobf execute`; those of
 * backends that submit at once (schedulers) are submitted again by the `submitNow` hook.
 */
import { backendPlugin } from '../../backends/registry.js';
import type { JobRecord } from '../../store/index.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import {
  FILTER_OPTIONS,
  JobActiveError,
  filterFrom,
  parseIds,
  selectJobs,
  type CommandContext,
} from '../shared/context.js';
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
    const requeued = store.transaction(() =>
      choose().map((rec) => {
        // Under the write lock nobody can start the job again before its old logs are gone.
        if (args.flag('clean')) removeLogs(rec);
        return store.requeue(rec.jobid);
      }),
    );
    // Jobs of backends that submit at once go to them again now; the others wait for `jobf execute`.
    for (const backend of new Set(requeued.map((r) => r.backend))) {
      if (!backendPlugin(backend).submitsAtOnce) continue;
      await ctx.hooks.submitNow(ctx, { store, backend, ids: requeued.filter((r) => r.backend === backend).map((r) => r.jobid) });
    }
    const out = requeued.map((r) => r.jobid.f58);
    if (ctx.json) ctx.io.out(JSON.stringify(out) + '\n');
    else if (out.length === 0) ctx.io.err(`jobf: no jobs to resubmit${failedOnly ? ' (--failed-only: none failed)' : ' (only finished jobs are resubmitted)'}\n`);
    else ctx.io.out(out.map((id) => id + '\n').join(''));
    return 0;
  } finally {
    store.close();
  }
}
