/**
 * `jobf delete`: removes jobs from the store with every file made for them: their output files,
 * the files their backend kept for them in the log folders (named after the job id, e.g. a local
 * job's `<id>.status`), and a log folder that this leaves empty. Jobs that may be running are
 * stopped first (that needs the `stop` hook).
 */
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';

import { storeLogDir } from '../../durable/log-dir.js';

import { isOwnerAlive, type JobRecord } from '../../store/index.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import { FILTER_OPTIONS, JobActiveError, filterFrom, parseIds, selectJobs, type CommandContext } from '../shared/context.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'delete',
  summary: 'remove jobs (all by default) and their log files; running jobs are stopped first',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [{ name: 'keep-logs', help: 'do not remove the log files (nor the job\'s other files)' }, ...FILTER_OPTIONS],
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

/**
 * Removes every file made for a job: its outputs, and in `logDirs` the files named after its id
 * (`<f58>.*` or `<f58 in ASCII>.*`: status files, scripts).
 */
export function removeJobFiles(rec: JobRecord, logDirs: readonly string[]): void {
  removeLogs(rec);
  const prefixes = [`${rec.jobid.f58}.`, `${rec.jobid.f58plain}.`];
  for (const dir of logDirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // not there (any more)
    }
    for (const name of names) if (prefixes.some((p) => name.startsWith(p))) rmSync(join(dir, name), { force: true });
  }
}

/** Whether `dir` is `other` or a folder above it. */
function holds(dir: string, other: string): boolean {
  const rel = relative(dir, other);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Removes the log folders that are now empty, except one that holds the store or a job's working
 * directory (`--log-dir .` must not take the current folder away), or that jobs left in the store
 * still use (`keep` lists all of those).
 */
function removeEmptyDirs(dirs: readonly string[], keep: readonly string[]): void {
  for (const dir of dirs) {
    if (keep.some((k) => holds(dir, k))) continue;
    try {
      rmdirSync(dir); // only when empty
    } catch {
      // not empty, or gone
    }
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
    if (!args.flag('keep-logs')) {
      const logDirs = [...new Set([storeLogDir(ctx.dbPath), ...deleted.flatMap((r) => (r.logDir === undefined ? [] : [r.logDir]))])];
      for (const rec of deleted) removeJobFiles(rec, logDirs);
      // Folders the jobs left in the store still write to stay (the store's own one while any job is left).
      const left = store.list();
      const inUse = left.flatMap((r) => [r.logDir, r.stdout && dirname(r.stdout), r.stderr && dirname(r.stderr)]);
      const keep = [dirname(ctx.dbPath), ctx.cwd, ...deleted.map((r) => r.cwd), ...inUse, ...(left.length > 0 ? [storeLogDir(ctx.dbPath)] : [])];
      removeEmptyDirs(logDirs, keep.filter((d): d is string => typeof d === 'string' && d !== ''));
    }
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
