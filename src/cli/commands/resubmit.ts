/**
 * `jobf resubmit`: puts jobs that ended without success (FAILED, CANCELED, TIMEOUT) back in the
 * queue with the same id and spec (a new attempt; the old events are kept); with `--also-success`
 * COMPLETED ones too (as `jman resubmit --also-success`). Jobs of queued backends (local) then wait for `jobf execute`; those of
 * backends that submit at once (schedulers) are submitted again by the `submitNow` hook.
 */
import { backendPlugin } from '../../backends/registry.js';
import type { JobRecord } from '../../store/index.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../shared/args.js';
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
  summary: 'queue jobs that did not complete (all by default) again, with the same id and spec',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [
    { name: 'also-success', short: 's', help: 'COMPLETED jobs too (as jman -s)' },
    { name: 'failed-only', help: 'only jobs that did not complete successfully (the default)' },
    { name: 'clean', help: 'remove the old log files first' },
    ...FILTER_OPTIONS,
  ],
};

/** Runs `jobf resubmit`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  if (args.flag('failed-only') && args.flag('also-success')) {
    throw new UsageError('--failed-only and --also-success exclude each other');
  }
  const failedOnly = !args.flag('also-success');
  const skipped: string[] = [];
  const store = ctx.openStore('write');
  try {
    // Named jobs must have finished; without ids, active jobs are simply not candidates.
    const choose = (): JobRecord[] => {
      const jobs = selectJobs(store, filter, ids);
      if (ids.length > 0) {
        const active = jobs.find((r) => r.state !== 'INACTIVE');
        if (active) throw new JobActiveError(active.jobid.f58, active.state, 'only finished jobs can be resubmitted');
      }
      return jobs.filter((r) => {
        if (r.state !== 'INACTIVE') return false;
        if (failedOnly && r.result === 'COMPLETED') {
          if (ids.length > 0) skipped.push(r.jobid.f58);
          return false;
        }
        return true;
      });
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
    if (skipped.length > 0) {
      ctx.io.err(`jobf: note: ${skipped.join(' ')} completed: not resubmitted (give --also-success)\n`);
    }
    if (ctx.json) ctx.io.out(JSON.stringify(out) + '\n');
    else if (out.length === 0 && skipped.length === 0) {
      ctx.io.err(`jobf: no jobs to resubmit${failedOnly ? ' (none ended without success; --also-success resubmits COMPLETED ones too)' : ' (only finished jobs are resubmitted)'}\n`);
    } else ctx.io.out(out.map((id) => id + '\n').join(''));
    return 0;
  } finally {
    store.close();
  }
}
