/**
 * `jobf delete`: removes jobs from the store with their log files. Jobs that may be running are
 * stopped first (that needs the `stop` hook).
 */
import { rmSync } from 'node:fs';

import { isOwnerAlive, type JobRecord } from '../../store/index.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import { FILTER_OPTIONS, JobActiveError, filterFrom, parseIds, selectJobs, type CommandContext } from '../shared/context.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'delete',
  summary: 'remove jobs (all by default) and their log files; running jobs are stopped first',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [{ name: 'keep-logs', help: 'do not remove the log files' }, ...FILTER_OPTIONS],
};

/**
 * Whether a job may be running somewhere, so that deleting it needs a stop first: it started (or
 * is finishing), was handed to its backend (has a native id), or is held by a live process.
 */
export function mayBeRunning(rec: JobRecord): boolean {
  if (rec.state === 'INACTIVE') return false;
  if (rec.state === 'RUN' || rec.state === 'CLEANUP' || rec.nativeId !== undefined) return true;
  return rec.owner !== undefined && isOwnerAlive(rec.owner);
}

/** Removes a job's log files (missing ones are fine). */
export function removeLogs(rec: JobRecord): void {
  for (const path of new Set([rec.stdout, rec.stderr])) {
    if (path !== undefined) rmSync(path, { force: true });
  }
}

/** Runs `jobf delete`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  const store = ctx.openStore('write');
  try {
    const running = selectJobs(store, filter, ids).filter(mayBeRunning);
    if (running.length > 0) {
      await ctx.hooks.stop(ctx, { ids: running.map((r) => r.jobid) });
    }
    // Checked again inside the write transaction: nobody can claim a job between check and delete.
    const deleted = store.transaction(() => {
      const jobs = selectJobs(store, filter, ids);
      const still = jobs.find(mayBeRunning);
      if (still) throw new JobActiveError(still.jobid.f58, still.state, 'it was not deleted (stop it first)');
      for (const rec of jobs) store.delete(rec.jobid);
      return jobs;
    });
    if (!args.flag('keep-logs')) deleted.forEach(removeLogs);
    const orphaned = new Set(deleted.flatMap((r) => store.dependents(r.jobid).map((id) => id.f58)));
    if (orphaned.size > 0) {
      const some = [...orphaned].slice(0, 5).join(', ') + (orphaned.size > 5 ? ', ...' : '');
      ctx.io.err(`jobf: note: ${some} depended on deleted jobs; that dependency can no longer be satisfied\n`);
    }
    const out = deleted.map((r) => r.jobid.f58);
    ctx.io.out(ctx.json ? JSON.stringify(out) + '\n' : out.map((id) => id + '\n').join(''));
    return 0;
  } finally {
    store.close();
  }
}
