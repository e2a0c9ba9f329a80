/**
 * What the executor-backed commands (`execute`, `wait`, `stop`, Slurm submission) share: executors
 * made the CLI's way on the store, taking over jobs of dead processes, and polling the store.
 */
import { readFileSync } from 'node:fs';

import { SlurmBackend } from '../backends/slurm/index.js';
import { hasStartedTrace } from '../backends/local/local-backend.js';
import { Jobspec } from '../jobspec/index.js';
import type { SpawnerName } from '../backends/local/spawners.js';
import { JobOwnedError } from '../executor/errors.js';
import { JobExecutor } from '../executor/executor.js';
import type { JobFuture } from '../executor/future.js';
import { isOwnerAlive, type JobRecord, type JobStore } from '../store/index.js';
import { UsageError } from './args.js';
import type { CommandContext } from './context.js';
import { defaultLogDir } from './commands/submit.js';

const SPAWNERS: readonly SpawnerName[] = ['auto', 'launcher', 'execa'];

/**
 * How `jobf` starts local job processes: `JOBF_SPAWNER` (`auto`, `launcher` or `execa`), default
 * `auto` (the native launcher when it is built, else execa). Jobs run by `jobf` outlive it either
 * way (a store makes the local backend persistent: the launcher then keeps its processes when its
 * parent dies), so that after a `kill -9` of `jobf execute` the next one follows them to their end.
 *
 * @throws {@link UsageError} for another value.
 */
export function spawnerFrom(env: CommandContext['env']): SpawnerName {
  const v = env['JOBF_SPAWNER'];
  if (v === undefined || v === '') return 'auto';
  if (!(SPAWNERS as readonly string[]).includes(v)) throw new UsageError(`JOBF_SPAWNER must be ${SPAWNERS.join(', ')}, got "${v}"`);
  return v as SpawnerName;
}

/** Options of {@link localExecutor}. */
export interface LocalExecutorOptions {
  /** Cores jobs may use at once. Default: the number of CPUs. */
  readonly maxCores?: number;
}

/**
 * A local executor on the store, with the log folder `jobf submit` uses (status files must be where
 * every later process looks for them). It takes nothing over by itself: use `runQueued` or
 * `attach`.
 */
export function localExecutor(ctx: CommandContext, store: JobStore, opts: LocalExecutorOptions = {}): JobExecutor {
  return new JobExecutor({
    backend: 'local',
    store,
    recover: false,
    logDir: defaultLogDir(ctx.dbPath),
    spawner: spawnerFrom(ctx.env),
    ...(opts.maxCores !== undefined && { maxCores: opts.maxCores }),
  });
}

/**
 * A Slurm executor on the store (scripts and status files in the store's log folder, which must be
 * shared with the compute nodes). It takes nothing over by itself: use `runQueued` or `attach`.
 */
export function slurmExecutor(ctx: CommandContext, store: JobStore): JobExecutor {
  const backend = new SlurmBackend({ logDir: defaultLogDir(ctx.dbPath) });
  return new JobExecutor({ backend, store, recover: false });
}

/** Whether a job's owner (the process that runs it) is gone, or it never had one. */
export function ownerGone(rec: JobRecord): boolean {
  return rec.owner === undefined || !isOwnerAlive(rec.owner);
}

/**
 * Whether `jobf wait` and `jobf stop` should follow the job themselves (through an executor that
 * takes it over): a Slurm job nobody follows, or a local job that a dead process started (`logDir`:
 * where its wrapper records its exit status). Local jobs that never started wait for `jobf execute`.
 */
export function needsFollower(rec: JobRecord, logDir: string): boolean {
  if (rec.state === 'INACTIVE' || !ownerGone(rec)) return false;
  if (rec.backend === 'slurm') return true;
  if (rec.owner === undefined) return false;
  if (rec.nativeId !== undefined || rec.tRun !== undefined) return true;
  // Allocated, but the owner died before it recorded the pid: was the job started?
  return (rec.state === 'RUN' || rec.state === 'CLEANUP') && hasStartedTrace(logDir, rec.jobid.f58, numTasksOf(rec));
}

/** The number of tasks of a stored job (1 if its spec cannot be read). */
function numTasksOf(rec: JobRecord): number {
  try {
    return Jobspec.fromObject(rec.spec).numTasks;
  } catch {
    return 1;
  }
}

/**
 * The executors through which `jobf wait` and `jobf stop` take over jobs of dead processes, made
 * on first use, one per backend.
 */
export class Followers {
  private local: JobExecutor | undefined;
  private slurm: JobExecutor | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly store: JobStore,
  ) {}

  /**
   * Takes the job over and follows it (its events go to the store). Undefined if another live
   * process took it first.
   */
  take(rec: JobRecord): JobFuture | undefined {
    const ex = rec.backend === 'slurm' ? (this.slurm ??= slurmExecutor(this.ctx, this.store)) : (this.local ??= localExecutor(this.ctx, this.store));
    try {
      return ex.attach(rec.jobid);
    } catch (err) {
      if (err instanceof JobOwnedError) return undefined;
      throw err;
    }
  }

  /**
   * Lets go of every job without ending it (see `JobExecutor.detach`). The part that matters on
   * Ctrl-C (no exit-time cleanup ends the followed jobs) happens at once; the promise resolves
   * when the backends are closed.
   */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.local?.detach(), this.slurm?.detach()]).then(() => undefined);
    return this.closing;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Calls `step` until it returns `'done'`, sleeping between calls: 50 ms after a call that saw a
 * change, growing to 1 s while nothing changes. Stops early when `signal` aborts.
 *
 * @returns Whether it stopped because `step` was done (false: aborted).
 */
export async function pollUntil(signal: AbortSignal, step: () => 'done' | 'changed' | 'same'): Promise<boolean> {
  let interval = 50;
  for (;;) {
    if (signal.aborted) return false;
    const r = step();
    if (r === 'done') return true;
    interval = r === 'changed' ? 50 : Math.min(1000, Math.round(interval * 1.5));
    await sleep(interval, signal);
  }
}

/** Whether `pid` is alive and is the job's own process (its environment names the job), on Linux. */
export function isJobProcess(pid: number, f58: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`JOBFUTURES_JOB_ID=${f58}\0`);
  } catch {
    return false;
  }
}

/** One line per job: `ID  RESULT  exit N`. */
export function resultLine(rec: JobRecord): string {
  const rc = rec.returncode === undefined ? '' : `  exit ${rec.returncode}`;
  const why = rec.exception && rec.result !== 'COMPLETED' ? `  (${rec.exception.type}: ${rec.exception.note})` : '';
  return `${rec.jobid.f58}  ${rec.result ?? rec.state}${rc}${why}`;
}
