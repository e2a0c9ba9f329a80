/**
 * The `stop` hook: cancels jobs and resolves once each is INACTIVE in the store (also used by
 * `jobf delete` for jobs that may be running). With `print` (`jobf stop`), prints the ids of the
 * jobs it stopped, one a line (a JSON array with `--json`), and a note for named jobs that had
 * already ended.
 *
 * How a job is canceled depends on who runs it:
 * - a local job that never started and that nobody runs (queued, or left by a process that died):
 *   canceled in the store (an `exception` of type `cancel`, then `clean`), in one transaction that
 *   checks nobody took it meanwhile;
 * - a job whose owner died (or a Slurm job nobody follows): taken over here through an executor on
 *   the store, then canceled by it (running processes are ended, Slurm jobs `scancel`ed);
 * - a job run by a live process: a `cancel` exception is appended to the store, which a running
 *   `jobf execute` acts on (it cancels the job itself); its backend's plug-in also signals it
 *   (`signalStored`: a local job still running a second later gets SIGTERM on its process group, a
 *   scheduler's job is canceled there at once), so that jobs of other programs end too. The owner
 *   records how they ended.
 */
import type { JobID } from '../../ids/index.js';
import { type JobRecord, type JobStore } from '../../store/index.js';
import { ACTIVE_STATES } from '../../core/lifecycle.js';
import { shownId, type CommandContext } from '../shared/context.js';
import { needsFollower, ownerGone, pollUntil, storeFollowers, storedJobView } from '../shared/executors.js';
import { backendPlugin } from '../../backends/registry.js';
import { storeLogDir } from '../../durable/log-dir.js';
import type { JobsArgs } from '../shared/hooks.js';
import { epochSeconds } from '../../util/time.js';

const NOTE = 'canceled by jobf stop';

/**
 * How long a live owner gets to cancel a running local job itself (a `jobf execute` checks for
 * requests a few times a second) before its processes get SIGTERM from here, in ms.
 */
const OWNER_GRACE_MS = 1000;

/** After this long (ms), say which live processes the command is still waiting for. */
const NOTE_AFTER_MS = 5000;

/** Runs the `stop` hook. */
export async function stop(ctx: CommandContext, args: JobsArgs): Promise<number> {
  const store = ctx.openStore('write');
  try {
    return await stopOn(ctx, store, args);
  } finally {
    store.close();
  }
}

function cancelContext(): Record<string, unknown> {
  return { type: 'cancel', severity: 0, note: NOTE, userid: process.getuid?.() ?? 0 };
}

/**
 * Cancels in the store a local job that nobody runs and that never started. False if a live
 * process took it meanwhile (or it ended).
 */
function cancelInStore(store: JobStore, jobid: JobID): boolean {
  return store.transaction(() => {
    const rec = store.get(jobid);
    if (rec === undefined || rec.state === 'INACTIVE' || !ownerGone(rec)) return false;
    const t = epochSeconds();
    store.appendEvents([
      { jobid, name: 'exception', timestamp: t, context: cancelContext() },
      { jobid, name: 'clean', timestamp: t },
    ]);
    return true;
  });
}

/** Asks the live owner of a job to cancel it: a `cancel` exception in the store (once). */
function requestCancel(store: JobStore, jobid: JobID): void {
  store.transaction(() => {
    const rec = store.get(jobid);
    if (rec === undefined || rec.state === 'INACTIVE' || rec.exception !== undefined) return;
    store.appendEvent(jobid, 'exception', epochSeconds(), cancelContext());
  });
}

async function stopOn(ctx: CommandContext, store: JobStore, { ids, print = false }: JobsArgs): Promise<number> {
  const targets: JobID[] = ids.length > 0 ? [...ids] : store.list({ state: ACTIVE_STATES }).map((r) => r.jobid);
  // What was active when asked: what this command stops (a job may still end by itself meanwhile).
  const ended = new Map(store.list({ ids: targets }).filter((r) => r.state === 'INACTIVE').map((r) => [r.jobid.value, r]));
  const followers = storeFollowers(ctx, store);
  const logDir = storeLogDir(ctx.dbPath);
  const onAbort = (): void => void followers.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const done = new Set<bigint>();
  const taken = new Set<bigint>();
  const requested = new Map<bigint, number>();
  const signaled = new Set<bigint>();
  const signals: Promise<unknown>[] = [];
  const t0 = Date.now();
  let noted = false;

  const handle = (rec: JobRecord): boolean => {
    const v = rec.jobid.value;
    if (taken.has(v)) return false;
    if (ownerGone(rec) && !needsFollower(rec, logDir)) {
      return cancelInStore(store, rec.jobid);
    }
    if (ownerGone(rec)) {
      const future = followers.take(rec);
      if (future === undefined) return false; // someone else took it: next round
      taken.add(v);
      future.cancel(NOTE);
      return true;
    }
    let changed = false;
    if (!requested.has(v)) {
      requested.set(v, Date.now());
      requestCancel(store, rec.jobid);
      changed = true;
    }
    if (rec.nativeId !== undefined && !signaled.has(v)) {
      const plugin = backendPlugin(rec.backend);
      // A scheduler's job is ended there at once; a local process gets a grace period first.
      const graceOver = plugin.submitsAtOnce || (Date.now() - requested.get(v)! >= OWNER_GRACE_MS && (rec.state === 'RUN' || rec.state === 'CLEANUP'));
      if (graceOver) {
        signaled.add(v);
        signals.push(plugin.signalStored(storedJobView(rec), 'SIGTERM', { logDir }).catch(() => false));
        changed = true;
      }
    }
    return changed;
  };

  try {
    const finished = await pollUntil(ctx.signal, () => {
      const pending = targets.filter((id) => !done.has(id.value));
      const recs = new Map(store.list({ ids: pending }).map((r) => [r.jobid.value, r]));
      let changed = false;
      for (const id of pending) {
        const rec = recs.get(id.value);
        if (rec === undefined || rec.state === 'INACTIVE') {
          done.add(id.value);
          changed = true;
        } else if (handle(rec)) {
          changed = true;
        }
      }
      if (done.size === targets.length) return 'done';
      if (!noted && Date.now() - t0 > NOTE_AFTER_MS) {
        noted = true;
        const owners = new Set([...recs.values()].filter((r) => r.state !== 'INACTIVE' && !ownerGone(r)).map((r) => `${r.owner!.pid} on ${r.owner!.host}`));
        if (owners.size > 0) ctx.io.err(`jobf: note: waiting for process ${[...owners].join(', ')} to end the jobs it runs\n`);
      }
      return changed ? 'changed' : 'same';
    });
    if (!finished) return 130;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await Promise.all(signals);
    await followers.close();
  }
  if (print) {
    const stopped = targets.filter((id) => !ended.has(id.value)).map((id) => id.f58);
    for (const id of targets) {
      const rec = ended.get(id.value);
      if (rec) ctx.io.err(`jobf: note: job ${shownId(id)} had already ended (${rec.result ?? '-'}): not stopped\n`);
    }
    if (ctx.json) ctx.io.out(JSON.stringify(stopped) + '\n');
    else if (targets.length === 0) ctx.io.err('jobf: no active jobs to stop\n');
    else ctx.io.out(stopped.map((id) => id + '\n').join(''));
  }
  return 0;
}
