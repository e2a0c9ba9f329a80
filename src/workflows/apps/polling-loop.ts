/**
 * {@link pollingLoop}: libEnsemble's `polling_loop` — follow a task until it is over, killing it
 * when a time-out passes or when an AbortSignal fires (the manager's "finish" signal). It waits on
 * the job's own end, a timer and the signal, not on a sleep loop, so it reacts at once.
 *
 * @module
 */
import type { JobResult } from '../../core/types.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { AppTask, AppTaskState } from './task.js';

/** Options of {@link pollingLoop}. */
export interface PollingLoopOptions {
  /** Milliseconds after which the task is killed (libEnsemble's `timeout_sec`, there in seconds). Default: none. */
  readonly timeout?: number;
  /** Killing the task when it fires (the manager asks the worker to finish). */
  readonly signal?: AbortSignal;
  /** `waitTime` of the kill: ms between SIGTERM and SIGKILL. Default 0 (SIGKILL at once), as libEnsemble's loop. */
  readonly killWaitTime?: number;
}

/** How {@link pollingLoop} ended. */
export interface PollingLoopOutcome {
  /**
   * `FINISHED` (exit 0), `FAILED` (it ended otherwise by itself, or never started), `KILLED_ON_TIMEOUT`,
   * `KILLED_ON_ABORT` (the signal fired), `USER_KILLED` (someone else killed or canceled it).
   */
  readonly status: 'FINISHED' | 'FAILED' | 'KILLED_ON_TIMEOUT' | 'KILLED_ON_ABORT' | 'USER_KILLED';
  /** The task's final state. */
  readonly state: AppTaskState;
  /** The job's result (undefined if the submission was rejected). */
  readonly result: JobResult | undefined;
}

/**
 * Follows `task` until it is over; kills it (SIGTERM, SIGKILL after `killWaitTime`) when
 * `timeout` ms pass or `signal` fires first. Never rejects for the task's own failures.
 *
 * @throws {@link InvalidArgumentError} for a negative or non-finite `timeout` / `killWaitTime`.
 */
export async function pollingLoop(task: AppTask, options: PollingLoopOptions = {}): Promise<PollingLoopOutcome> {
  const { timeout, signal } = options;
  const killWaitTime = options.killWaitTime ?? 0;
  if (timeout !== undefined && !(timeout >= 0 && Number.isFinite(timeout))) throw new InvalidArgumentError('timeout', `must be a non-negative number of ms (got ${String(timeout)})`);
  if (!(killWaitTime >= 0 && Number.isFinite(killWaitTime))) throw new InvalidArgumentError('killWaitTime', `must be a non-negative number of ms (got ${String(killWaitTime)})`);
  if (task.id === undefined) return { status: 'FAILED', state: task.poll(), result: undefined };

  let reason: 'timeout' | 'abort' | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<'stop'>((resolve) => {
    if (timeout !== undefined) timer = setTimeout(() => ((reason ??= 'timeout'), resolve('stop')), timeout);
    if (signal !== undefined) {
      onAbort = () => ((reason ??= 'abort'), resolve('stop'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    const first = await Promise.race([task.ended(), stop]);
    if (first === 'stop' && !task.finished) await task.kill({ waitTime: killWaitTime });
    else reason = undefined;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
  }
  const result = await task.ended();
  const state = task.poll();
  const status =
    reason === 'timeout' ? 'KILLED_ON_TIMEOUT' : reason === 'abort' ? 'KILLED_ON_ABORT' : state === 'FINISHED' ? 'FINISHED' : state === 'USER_KILLED' ? 'USER_KILLED' : 'FAILED';
  return { status, state, result };
}
