/**
 * The `submitNow` hook: hands jobs that `jobf submit` (or `jobf resubmit`) just stored for a
 * backend that submits at once (a scheduler) to that backend, and returns once each has its
 * native id, without waiting for the jobs.
 *
 * The jobs are taken (owned) by this process through an executor on the store; once every job
 * has its native id the executor lets go of them (`detach`), so that `jobf wait` (or any later
 * process) takes them over and follows them, while the scheduler runs them.
 */
import { JobfuturesError } from '../../util/errors.js';
import type { CommandContext } from '../shared/context.js';
import { sleep, storeExecutor } from '../shared/executors.js';
import type { SubmitNowArgs } from '../shared/hooks.js';

/** The backend did not take some jobs. Exit code 2; the jobs are FAILED in the store. */
export class BackendSubmitError extends JobfuturesError {
  /** The backend's name. */
  readonly backend: string;

  /**
   * @param backend - The backend.
   * @param what - Which jobs, e.g. `job ƒ2x and 3 more`.
   * @param why - The backend's answer.
   */
  constructor(backend: string, what: string, why: string) {
    super('ERR_BACKEND_SUBMIT', `the ${backend} backend did not take ${what}: ${why}`);
    this.backend = backend;
  }
}

/** Runs the `submitNow` hook. */
export async function submitNow(ctx: CommandContext, { store, backend, ids }: SubmitNowArgs): Promise<void> {
  if (ids.length === 0) return;
  const ex = storeExecutor(ctx, store, backend);
  let futures;
  try {
    futures = ex.runQueued(ids);
    // Submission runs in the background: wait until each job has its native id or was refused.
    while (!ctx.signal.aborted && !futures.every((f) => f.nativeId !== undefined || f.done())) await sleep(20, ctx.signal);
  } finally {
    await ex.detach();
  }
  const refused = futures.filter((f) => f.done() && f.nativeId === undefined);
  if (refused.length > 0) {
    const first = refused[0]!.peek();
    const why = first?.exception ? first.exception.note : `ended ${first?.result ?? 'without a native id'}`;
    const what = `job ${refused[0]!.id!.f58}` + (refused.length > 1 ? ` and ${refused.length - 1} more` : '');
    throw new BackendSubmitError(backend, what, why);
  }
  if (futures.length < ids.length) {
    throw new BackendSubmitError(backend, `${ids.length - futures.length} of the jobs`, 'another process took them first');
  }
}
