/**
 * What the executor-backed commands (`execute`, `wait`, `stop`, submission to a scheduler) share: executors
 * made the CLI's way on the store, taking over jobs of dead processes, and polling the store.
 */
import { backendPlugin } from '../../backends/registry.js';
import type { SpawnerName } from '../../backends/local/spawners.js';
import type { StoredJobView } from '../../core/plugin.js';
import { Followers } from '../../durable/followers.js';
import { storeLogDir } from '../../durable/log-dir.js';
import { JobExecutor, type JobExecutorOptions } from '../../executor/executor.js';
import type { JobFuture } from '../../executor/future.js';
import { Jobspec } from '../../jobspec/index.js';
import { isOwnerAlive, type JobRecord, type JobStore } from '../../store/index.js';
import { UsageError } from './args.js';
import type { CommandContext } from './context.js';
import { paint } from './format.js';

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

/** Options of {@link storeExecutor}. */
export interface StoreExecutorOptions {
  /** Cores local jobs may use at once. Default: the number of CPUs. */
  readonly maxCores?: number;
}

/**
 * An executor on the store for one backend, with the log folder `jobf submit` uses (status files
 * must be where every later process looks for them). It takes nothing over by itself: use
 * `runQueued` or `attach`.
 */
export function storeExecutor(ctx: CommandContext, store: JobStore, backend: string, opts: StoreExecutorOptions = {}): JobExecutor {
  backendPlugin(backend, '--backend');
  const options = {
    backend,
    store,
    recover: false,
    logDir: storeLogDir(ctx.dbPath),
    spawner: spawnerFrom(ctx.env),
    ...(opts.maxCores !== undefined && { maxCores: opts.maxCores }),
  };
  return new JobExecutor(options as JobExecutorOptions);
}

/** Whether a job's owner (the process that runs it) is gone, or it never had one. */
export function ownerGone(rec: JobRecord): boolean {
  return rec.owner === undefined || !isOwnerAlive(rec.owner);
}

/** What a backend plug-in sees of a stored job. */
export function storedJobView(rec: JobRecord): StoredJobView {
  return { f58: rec.jobid.f58, nativeId: rec.nativeId, state: rec.state, tRun: rec.tRun, numTasks: numTasksOf(rec) };
}

/**
 * Whether `jobf wait` and `jobf stop` should follow the job themselves (through an executor that
 * takes it over): an active job whose owner is gone and that may exist on its backend (a
 * scheduler's job, a local job that a dead process started; `logDir`: where its files are). A job
 * queued in the store waits for `jobf execute`.
 */
export function needsFollower(rec: JobRecord, logDir: string): boolean {
  if (rec.state === 'INACTIVE' || !ownerGone(rec)) return false;
  const plugin = backendPlugin(rec.backend);
  if (rec.owner === undefined && !plugin.submitsAtOnce) return false;
  return plugin.mayExist(storedJobView(rec), logDir);
}

/** The number of tasks of a stored job (1 if its spec cannot be read). */
function numTasksOf(rec: JobRecord): number {
  try {
    return Jobspec.fromObject(rec.spec).numTasks;
  } catch {
    return 1;
  }
}

/** The followers of `jobf wait` and `jobf stop`: one executor on the store per backend. */
export function storeFollowers(ctx: CommandContext, store: JobStore): Followers<JobFuture> {
  return new Followers((backend) => storeExecutor(ctx, store, backend));
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

/** One line per job: `ID  RESULT  exit N` (the result in colour when `color`). */
export function resultLine(rec: JobRecord, color = false): string {
  const rc = rec.returncode === undefined ? '' : `  exit ${rec.returncode}`;
  const why = rec.exception && rec.result !== 'COMPLETED' ? `  (${rec.exception.type}: ${rec.exception.note})` : '';
  return `${rec.jobid.f58}  ${paint(rec.result ?? rec.state, color)}${rc}${why}`;
}
