/**
 * Control of Grid Engine jobs: `qdel` of many jobs in one call ({@link QdelBatch}), `qhold` /
 * `qrls` (urgency 0), and signals sent straight to a job's process group when it runs on this
 * host ({@link signalJob}; Grid Engine has no command that sends a signal to a job).
 *
 * Failures are ignored: the job may have ended meanwhile, and the polls tell.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UnsupportedOperationError } from '../../core/errors.js';
import { killDescendants } from '../batch/mpi.js';
import { applyHoldWith } from '../batch/tracked-job.js';
import type { SgeContext } from './context.js';
import { jobNumber, type SgeJob } from './job.js';

/**
 * Collects the native ids to `qdel` during one turn of the event loop (or until a deadline) and
 * deletes them with one `qdel id...` call.
 */
export class QdelBatch {
  readonly #ctx: SgeContext;
  #now: string[] = [];
  /** Delayed deletions, each with its due time and a way to send it early. */
  readonly #later = new Set<{ at: number; ids: string[]; wake: () => void }>();

  constructor(ctx: SgeContext) {
    this.#ctx = ctx;
  }

  /** Deletes `nativeId` in the next batch (this turn of the event loop). */
  add(nativeId: string): void {
    this.#now.push(nativeId);
    if (this.#now.length === 1) queueMicrotask(() => this.#flushNow());
  }

  /**
   * Deletes `nativeId` `ms` from now, with the others due within a second of it (one timer and
   * one qdel per such batch).
   */
  addLater(nativeId: string, ms: number): void {
    const at = Date.now() + ms;
    for (const batch of this.#later) {
      if (Math.abs(batch.at - at) < 1000) {
        batch.ids.push(nativeId);
        return;
      }
    }
    let wake!: () => void;
    const due = new Promise<void>((resolve) => (wake = resolve));
    const batch = { at, ids: [nativeId], wake };
    this.#later.add(batch);
    const timer = setTimeout(wake, ms);
    this.#ctx.work.track(
      due.then(() => {
        clearTimeout(timer);
        this.#later.delete(batch);
        return this.#qdel(batch.ids);
      }),
    );
  }

  /** Sends the delayed deletions now (the backend closes). */
  flushLater(): void {
    for (const batch of this.#later) batch.wake();
  }

  #flushNow(): void {
    const ids = this.#now;
    this.#now = [];
    if (ids.length > 0) this.#ctx.work.track(this.#qdel(ids));
  }

  async #qdel(ids: string[]): Promise<void> {
    try {
      await this.#ctx.commands.run('qdel', ids);
    } catch {
      // Some ids were gone already (qdel exits 1 then, having deleted the others); the polls tell.
    }
  }
}

/** Holds or releases the job so that Grid Engine's hold matches `wantHeld`. */
export function applyHold(ctx: SgeContext, j: SgeJob): Promise<void> {
  return applyHoldWith(j, (tool, args) => ctx.commands.run(tool, args), (hold, id) => [hold ? 'qhold' : 'qrls', [id]]);
}

/** Where a job's script records its host and process group: `<status>.pid`. */
export function pidFile(statusFile: string): string {
  return `${statusFile}.pid`;
}

/**
 * Sends `signal` to the process group of a running job (its script, the reaper, the command and
 * its children: the reaper and the script survive the catchable signals, as under Slurm's
 * `scancel --signal --full`). Returns false when the job's process group is not known or gone.
 *
 * With `descendants` (SIGKILL of an MPI job), every process below the script is SIGKILLed first:
 * Open MPI's `mpirun` puts each rank in its own process group, and cannot forward a SIGKILL.
 *
 * @throws {@link UnsupportedOperationError} when the job runs on another host: Grid Engine has no
 *   command that delivers a signal to a job.
 */
export function signalJob(statusFile: string | undefined, nativeId: string, signal: NodeJS.Signals, descendants = false): boolean {
  if (statusFile === undefined) throw new UnsupportedOperationError('sge', 'kill', `job ${nativeId} was not submitted by jobfutures (Grid Engine has no command to signal a job)`);
  let text: string;
  try {
    text = readFileSync(pidFile(statusFile), 'utf8');
  } catch {
    return false;
  }
  const m = /^(\S+) (\d+)\s*$/.exec(text);
  if (!m) return false;
  const [, host, pid] = m as unknown as [string, string, string];
  if (host !== hostname() && host.split('.')[0] !== hostname().split('.')[0]) {
    throw new UnsupportedOperationError('sge', 'kill', `job ${nativeId} runs on host ${host}, and signals reach only jobs on this host (${hostname()})`);
  }
  // The pid must still be this job's script (Grid Engine sets JOB_ID in its environment).
  try {
    if (!`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(`\0JOB_ID=${jobNumber(nativeId)}\0`)) return false;
    if (descendants) killDescendants([Number(pid)]);
    process.kill(-Number(pid), signal);
    return true;
  } catch {
    return false;
  }
}
