/**
 * The `execute` hook: runs the queued local jobs of the store, at most `--parallel` at once,
 * honouring dependencies, arrays and urgency, with a progress display and a summary.
 *
 * - `--parallel N` is a budget of N cores (N one-core jobs at once); a job that needs more than N
 *   runs alone, after the others that can run (see runRounds).
 * - What runs: active local jobs that no live process runs (queued by `jobf submit`, requeued, or
 *   left by a `jobf execute` that died: those that were running are followed to their end, their
 *   exit status read from what their own wrapper recorded), except held ones (urgency 0); with id
 *   operands, only those.
 * - Ctrl-C (`ctx.signal`): every job this run took is canceled (running ones are ended), and once
 *   they are all inactive, each job the interrupt canceled is put back in the queue (a new
 *   attempt, unowned), so that the next `jobf execute` runs it again. Exit code 130.
 * - `jobf stop` of a job this run owns appends a `cancel` exception to the store; this run sees it
 *   (the store is checked a few times a second) and cancels the job.
 * - Exit code 0 when every job it ran completed, 1 otherwise.
 */
import { Jobspec } from '../../jobspec/index.js';
import { JobID } from '../../ids/index.js';
import type { JobExecutor } from '../../executor/executor.js';
import type { JobFuture } from '../../executor/future.js';
import type { JobResultName } from '../../core/types.js';
import { currentOwner, sameOwner, type JobRecord, type JobStore } from '../../store/index.js';
import { ACTIVE_STATES } from '../../core/lifecycle.js';
import type { CommandContext } from '../shared/context.js';
import { ownerGone, storeExecutor } from '../shared/executors.js';
import { backendPlugin } from '../../backends/registry.js';
import type { ExecuteArgs } from '../shared/hooks.js';
import { Progress, RESULT_ORDER } from '../shared/progress.js';

/** How often the store is checked for `jobf stop` requests, in ms. */
const STOP_CHECK_MS = 250;

/** Cores a stored job needs (`numTasks × coresPerTask`), or undefined if its spec cannot be read. */
function coresOf(rec: JobRecord): number | undefined {
  try {
    return Jobspec.fromObject(rec.spec).totalCores;
  } catch {
    return undefined;
  }
}

function some(ids: readonly string[], max = 8): string {
  return ids.slice(0, max).join(' ') + (ids.length > max ? ` ... (${ids.length - max} more)` : '');
}

/** Starts jobs on a new executor allowed `maxCores`; returns it and the jobs it took. */
type StartRound = (ids: readonly JobID[], maxCores: number) => { ex: JobExecutor; taken: JobFuture[] };

/**
 * After the first round (every job that fits in `--parallel` cores): each job that needs more
 * cores than that, alone, given the cores it needs; then the jobs that waited for those; again
 * until a round takes no job (what is left waits for jobs that nobody here runs).
 */
async function runRounds(
  signal: AbortSignal,
  todo: readonly JobRecord[],
  bigIds: ReadonlySet<bigint>,
  started: ReadonlyMap<bigint, JobFuture>,
  parallel: number,
  start: StartRound,
  follow: (ex: JobExecutor, taken: readonly JobFuture[]) => Promise<unknown>,
): Promise<void> {
  const round = async (ids: readonly JobID[], maxCores: number): Promise<boolean> => {
    const { ex, taken } = start(ids, maxCores);
    try {
      await follow(ex, taken);
    } finally {
      await ex.shutdown();
    }
    return taken.length > 0;
  };
  for (let took = true; took && !signal.aborted; ) {
    took = false;
    for (const rec of todo) {
      if (signal.aborted) return;
      if (bigIds.has(rec.jobid.value) && !started.has(rec.jobid.value)) took = (await round([rec.jobid], coresOf(rec) ?? parallel)) || took;
    }
    const rest = todo.filter((r) => !bigIds.has(r.jobid.value) && !started.has(r.jobid.value)).map((r) => r.jobid);
    if (rest.length > 0 && !signal.aborted) took = (await round(rest, parallel)) || took;
  }
}

/** Runs the `execute` hook. */
export async function execute(ctx: CommandContext, args: ExecuteArgs): Promise<number> {
  const store = ctx.openStore('write');
  try {
    return await executeOn(ctx, store, args);
  } finally {
    store.close();
  }
}

async function executeOn(ctx: CommandContext, store: JobStore, { parallel, ids }: ExecuteArgs): Promise<number> {
  const notes: string[] = [];
  // What to run. Checked (cores) before anything is written.
  const pool = store.list({ state: ACTIVE_STATES, ...(ids.length > 0 && { ids }) });
  if (ids.length > 0) {
    const active = new Set(pool.map((r) => r.jobid.value));
    for (const rec of store.list({ ids })) {
      if (!active.has(rec.jobid.value)) notes.push(`job ${rec.jobid.f58} is not queued (${rec.state}, ${rec.result ?? '-'}): not run`);
    }
  }
  const todo: JobRecord[] = [];
  const held: JobRecord[] = [];
  for (const rec of pool) {
    // Jobs of schedulers went to them at submit; the others wait in the store for this command.
    if (backendPlugin(rec.backend).submitsAtOnce || (todo.length > 0 && rec.backend !== todo[0]!.backend)) {
      if (ids.length > 0) notes.push(`job ${rec.jobid.f58} is a ${rec.backend} job: "jobf execute" runs jobs queued in the store only`);
      continue;
    }
    if (!ownerGone(rec)) {
      if (ids.length > 0) notes.push(`job ${rec.jobid.f58} is run by process ${rec.owner!.pid} on ${rec.owner!.host}: not run here`);
      continue;
    }
    if (rec.urgency === 0 && rec.tRun === undefined && rec.nativeId === undefined) held.push(rec);
    else todo.push(rec);
  }
  if (held.length > 0) notes.push(`${held.length} held job${held.length === 1 ? '' : 's'} (urgency 0) not run: ${some(held.map((r) => r.jobid.f58))}`);
  // A job needing more cores than --parallel still runs: alone, in a round of its own (see runRounds).
  const big = todo.filter((r) => (coresOf(r) ?? 1) > parallel);
  const printNotes = (): void => notes.forEach((n) => ctx.io.err(`jobf: note: ${n}\n`));

  if (todo.length === 0) {
    printNotes();
    if (ctx.json) ctx.io.out(JSON.stringify({ jobs: [], counts: {}, seconds: 0, requeued: [], left: [], interrupted: false }) + '\n');
    else ctx.io.err('jobf: no queued local jobs to run\n');
    return 0;
  }

  const backend = todo[0]!.backend;
  const records = new Map(todo.map((r) => [r.jobid.value, r]));
  const futures: JobFuture[] = [];
  const byId = new Map<bigint, JobFuture>();
  const me = currentOwner();
  const running = new Set<bigint>();

  /** Starts `ids` on a new executor with `maxCores`; returns it and the jobs it took. */
  const start = (ids: readonly JobID[], maxCores: number): { ex: JobExecutor; taken: JobFuture[] } => {
    const ex = storeExecutor(ctx, store, backend, { maxCores });
    const taken = ex.runQueued(ids);
    for (const f of taken) {
      futures.push(f);
      byId.set(f.id!.value, f);
    }
    return { ex, taken };
  };
  /** Shows the progress of a round's jobs (called before anything was awaited since its start). */
  const follow = (ex: JobExecutor, taken: readonly JobFuture[]): Promise<unknown> => {
    const started = (id: JobID): void => {
      if (running.has(id.value)) return;
      running.add(id.value);
      progress.started();
    };
    ex.on('event', (jobid, event) => {
      if (event.name === 'start' && byId.has(jobid.value)) started(jobid);
    });
    return Promise.all(
      taken.map((f) => {
        if (f.state === 'RUN' || f.state === 'CLEANUP') started(f.id!);
        return f.then((r) => {
          const rec = records.get(r.jobid.value);
          progress.ended(
            {
              id: r.jobid.f58,
              name: rec?.name ?? '',
              result: r.result,
              returncode: r.tRun === undefined && r.result !== 'CANCELED' ? undefined : r.returncode,
              exception: r.exception ? `${r.exception.type}: ${r.exception.note}` : undefined,
            },
            running.delete(r.jobid.value),
          );
          return r;
        });
      }),
    );
  };

  // The first round: every job that fits in --parallel cores, at most that many cores at once.
  const bigIds = new Set(big.map((r) => r.jobid.value));
  // (runQueued() without ids would take every queued job: a round always names its jobs.)
  const smallIds = todo.filter((r) => !bigIds.has(r.jobid.value)).map((r) => r.jobid);
  const first = smallIds.length > 0 ? start(smallIds, parallel) : undefined;
  const takenOver = futures.filter((f) => records.get(f.id!.value)?.owner !== undefined).length;
  // With rounds, jobs left by the first one may run in a later one.
  const total = big.length > 0 ? todo.length : first!.taken.length;
  printNotes();
  if (!ctx.json) {
    ctx.io.out(
      `running ${total} job${total === 1 ? '' : 's'}` +
        (takenOver > 0 ? ` (${takenOver} taken over from a process that died)` : '') +
        `, at most ${parallel} at once` +
        (big.length > 0 ? ` (${big.length} needing more than ${parallel} core${parallel === 1 ? '' : 's'} run${big.length === 1 ? 's' : ''} alone)` : '') +
        '\n',
    );
  }
  const progress = new Progress(ctx.io, total, { quiet: ctx.json, color: ctx.io.color });

  // `jobf stop` of one of our jobs: a cancel exception appended to the store by another process.
  const stopChecker = setInterval(() => {
    try {
      for (const rec of store.list({ backend, state: 'CLEANUP' })) {
        if (rec.exception?.type !== 'cancel' || rec.owner === undefined || !sameOwner(rec.owner, me)) continue;
        const f = byId.get(rec.jobid.value);
        if (f && !f.done() && f.state !== 'CLEANUP') f.cancel(rec.exception.note || 'canceled by jobf stop');
      }
    } catch {
      // the store is busy: next time
    }
  }, STOP_CHECK_MS);

  // Ctrl-C: cancel everything still active (dependents first, so that they are canceled rather
  // than failed by their dependency), remember what the interrupt canceled.
  const canceledByInterrupt = new Set<bigint>();
  const onAbort = (): void => {
    for (let i = futures.length - 1; i >= 0; i--) {
      const f = futures[i]!;
      if (!f.done() && f.cancel('interrupted: put back in the queue')) canceledByInterrupt.add(f.id!.value);
    }
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();

  try {
    if (first) {
      try {
        await follow(first.ex, first.taken);
      } finally {
        await first.ex.shutdown();
      }
    }
    if (big.length > 0) await runRounds(ctx.signal, todo, bigIds, byId, parallel, start, follow);
  } finally {
    clearInterval(stopChecker);
    ctx.signal.removeEventListener('abort', onAbort);
    progress.stop();
  }
  const left = todo.filter((r) => !byId.has(r.jobid.value)).map((r) => r.jobid.f58);
  if (left.length > 0) {
    ctx.io.err(
      `jobf: note: ${left.length} job${left.length === 1 ? '' : 's'} left in the queue (they wait for jobs this run does not run, or another process took them): ${some(left)}\n`,
    );
  }

  // Put back what the interrupt ended: those jobs are CANCELED in the store, owned by us.
  const requeued = store.transaction(() =>
    [...canceledByInterrupt]
      .map((v) => store.get(new JobID(v)))
      .filter((rec): rec is JobRecord => rec !== undefined && rec.state === 'INACTIVE' && rec.result === 'CANCELED' && rec.owner !== undefined && sameOwner(rec.owner, me))
      .map((rec) => store.requeue(rec.jobid).jobid.f58),
  );
  const interrupted = ctx.signal.aborted;

  // The store has the final word (a job stopped by `jobf stop` is CANCELED there).
  const requeuedSet = new Set(requeued);
  const final = store.list({ ids: futures.map((f) => f.id!) }).filter((r) => !requeuedSet.has(r.jobid.f58));
  const counts = new Map<JobResultName, number>();
  for (const rec of final) if (rec.result) counts.set(rec.result, (counts.get(rec.result) ?? 0) + 1);
  const allCompleted = final.every((r) => r.result === 'COMPLETED');

  if (ctx.json) {
    ctx.io.out(
      JSON.stringify({
        jobs: final.map((r) => ({ id: r.jobid.f58, name: r.name, result: r.result ?? null, returncode: r.returncode ?? null })),
        counts: Object.fromEntries(RESULT_ORDER.filter((r) => counts.has(r)).map((r) => [r, counts.get(r)])),
        seconds: Number(progress.elapsed.toFixed(3)),
        requeued,
        left,
        interrupted,
      }) + '\n',
    );
  } else {
    ctx.io.out(progress.summary(counts) + (requeued.length > 0 ? `; ${requeued.length} put back in the queue` : '') + '\n');
  }
  if (interrupted) {
    if (requeued.length > 0) {
      ctx.io.err(`jobf: interrupted: ${requeued.length} job${requeued.length === 1 ? '' : 's'} put back in the queue (run "jobf execute" to go on): ${requeued.join(' ')}\n`);
    } else {
      ctx.io.err('jobf: interrupted\n');
    }
    return 130;
  }
  return allCompleted ? 0 : 1;
}
