/**
 * The `wait` hook: follows jobs in the store until each is INACTIVE, printing one line per job as
 * it ends. Exit code 0 if all COMPLETED, 1 otherwise, 130 if interrupted.
 *
 * The jobs may be run by another process (a `jobf execute`, a program with a `JobExecutor`): the
 * store is polled. Jobs nobody follows any more are taken over here and followed to their end:
 * Slurm jobs whose owner died (or that never reached Slurm), and local jobs that a process which
 * died had started. Local jobs that never started wait for `jobf execute` (a note says so).
 */
import { JobID } from '../../ids/index.js';
import { type JobRecord, type JobStore } from '../../store/index.js';
import { ACTIVE_STATES } from '../../core/lifecycle.js';
import type { CommandContext } from '../shared/context.js';
import { jobJSON } from '../shared/format.js';
import { needsFollower, ownerGone, pollUntil, resultLine, storeFollowers } from '../shared/executors.js';
import { backendPlugin } from '../../backends/registry.js';
import { storeLogDir } from '../../durable/log-dir.js';
import type { JobsArgs } from '../shared/hooks.js';

/** Runs the `wait` hook. */
export async function wait(ctx: CommandContext, args: JobsArgs): Promise<number> {
  const store = ctx.openStore('write');
  try {
    return await waitOn(ctx, store, args);
  } finally {
    store.close();
  }
}

async function waitOn(ctx: CommandContext, store: JobStore, { ids }: JobsArgs): Promise<number> {
  const targets: JobID[] = ids.length > 0 ? [...ids] : store.list({ state: ACTIVE_STATES }).map((r) => r.jobid);
  const followers = storeFollowers(ctx, store);
  const logDir = storeLogDir(ctx.dbPath);
  // Ctrl-C: let go of followed jobs at once (before the exit-time cleanup could end them).
  const onAbort = (): void => void followers.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const ended = new Map<bigint, JobRecord | undefined>();
  const followed = new Set<bigint>();
  let noted = false;
  try {
    const finished = await pollUntil(ctx.signal, () => {
      const pending = targets.filter((id) => !ended.has(id.value));
      const recs = new Map(store.list({ ids: pending }).map((r) => [r.jobid.value, r]));
      let changed = false;
      const queued: JobRecord[] = [];
      for (const id of pending) {
        const rec = recs.get(id.value);
        if (rec === undefined) {
          // Deleted meanwhile: it will never complete.
          ended.set(id.value, undefined);
          if (!ctx.json) ctx.io.out(`${id.f58}  deleted\n`);
          changed = true;
        } else if (rec.state === 'INACTIVE') {
          ended.set(id.value, rec);
          if (!ctx.json) ctx.io.out(resultLine(rec, ctx.io.color) + '\n');
          changed = true;
        } else if (!followed.has(id.value) && needsFollower(rec, logDir)) {
          if (followers.take(rec)) {
            followed.add(id.value);
            changed = true;
          }
        } else if (!backendPlugin(rec.backend).submitsAtOnce && ownerGone(rec) && !followed.has(id.value)) {
          queued.push(rec);
        }
      }
      if (queued.length > 0 && !noted) {
        noted = true;
        ctx.io.err(`jobf: note: ${queued.length} job${queued.length === 1 ? ' waits' : 's wait'} in the queue for "jobf execute"\n`);
      }
      if (ended.size === targets.length) return 'done';
      return changed ? 'changed' : 'same';
    });
    if (!finished) return 130;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await followers.close();
  }
  const recs = targets.map((id) => ended.get(id.value));
  if (ctx.json) ctx.io.out(JSON.stringify(recs.flatMap((r) => (r ? [jobJSON(r)] : [])), null, 2) + '\n');
  return recs.every((r) => r?.result === 'COMPLETED') ? 0 : 1;
}
