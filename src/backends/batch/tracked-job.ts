/**
 * {@link BatchJob}: what a queueing-scheduler backend keeps on each job it follows, whatever the
 * scheduler: its phase, native id, submission promise, cancel and hold wishes. A backend's own job
 * type extends it with what only that scheduler needs.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import type { ControlChain } from './background-work.js';
import type { Missable } from './missing-grace.js';
import type { SubmitSlots } from './submit-slots.js';

/** Where a job is, as the backend sees it. */
export const Phase = {
  /** The submit command has not returned yet (or waits for a dependency's submission). */
  SUBMITTING: 0,
  /** Known to the scheduler, followed by poll. */
  QUEUED: 1,
  /** Reported finished or abandoned. */
  DONE: 2,
} as const;

/** One of the {@link Phase} values. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** One job of a queueing-scheduler backend. */
export interface BatchJob extends Missable, ControlChain {
  readonly handle: JobHandle;
  /** F58 id; status files are named after it. */
  readonly f58: string;
  /** Followed by `adopt`: no status file of its own (unless {@link BatchJob.ownStatus}). */
  readonly adopted: boolean;
  phase: Phase;
  /** The scheduler's id of the job (or of its array task). */
  nativeId: string | undefined;
  /** Resolves with the native id once the submit command returned, or undefined if it never will. */
  readonly submitted: Promise<string | undefined>;
  started: boolean;
  cancelRequested: boolean;
  /** Whether the scheduler holds the job (as submitted or last changed). */
  held: boolean;
  /** Whether it should be held (urgency 0). */
  wantHeld: boolean;
  /** Adopted jobs that a jobfutures backend submitted: their status file. */
  ownStatus?: string;
  /** Settles {@link BatchJob.submitted}; dropped once called. */
  settle?: ((id: string | undefined) => void) | undefined;
}

/**
 * Makes the scheduler's hold match `wantHeld`: `command(hold, nativeId)` gives the tool and its
 * arguments (`scontrol hold|release`, `qhold|qrls`). A failure is ignored: a job that started or
 * ended can no longer be held, and the polls tell what happened.
 */
export async function applyHoldWith(j: BatchJob, run: (tool: string, args: readonly string[]) => Promise<unknown>, command: (hold: boolean, nativeId: string) => [string, string[]]): Promise<void> {
  if (j.wantHeld === j.held || j.nativeId === undefined) return;
  const want = j.wantHeld;
  j.held = want;
  try {
    await run(...command(want, j.nativeId));
  } catch {
    // A job that started or ended can no longer be held; nothing to do.
  }
}

/**
 * Lets a closing backend's queued submissions through at once (they see it closed and give up),
 * and settles the jobs still submitting, so that none waits for ever on a dependency's submit.
 */
export function closeSubmissions(slots: SubmitSlots, jobs: Iterable<BatchJob>): void {
  slots.close();
  for (const j of jobs) if (j.phase === Phase.SUBMITTING) settleSubmitted(j, undefined);
}

/** A job about to be submitted: SUBMITTING, its native id to come. */
export function newSubmittedBatchJob(handle: JobHandle, f58: string, urgency: number): BatchJob {
  let settle!: (id: string | undefined) => void;
  const submitted = new Promise<string | undefined>((r) => (settle = r));
  return {
    handle,
    f58,
    adopted: false,
    phase: Phase.SUBMITTING,
    nativeId: undefined,
    submitted,
    knownAt: Infinity,
    started: false,
    cancelRequested: false,
    held: urgency === 0,
    wantHeld: urgency === 0,
    missingSince: undefined,
    control: Promise.resolve(),
    settle,
  };
}

/** A job submitted elsewhere (or by a dead owner), QUEUED under `nativeId`. */
export function newAdoptedBatchJob(handle: JobHandle, f58: string, nativeId: string, ownStatus?: string): BatchJob {
  return {
    handle,
    f58,
    adopted: true,
    phase: Phase.QUEUED,
    nativeId,
    submitted: Promise.resolve(nativeId),
    knownAt: Date.now(),
    started: false,
    cancelRequested: false,
    held: false,
    wantHeld: false,
    missingSince: undefined,
    control: Promise.resolve(),
    ...(ownStatus !== undefined && { ownStatus }),
  };
}

/** Settles the job's `submitted` promise (once). */
export function settleSubmitted(j: BatchJob, id: string | undefined): void {
  const settle = j.settle;
  j.settle = undefined;
  settle?.(id);
}

/** What {@link abandonUnsubmitted} needs of a backend's context. */
export interface SubmitterContext<J extends BatchJob> {
  readonly host: BackendHost;
  readonly closed: boolean;
  /** Marks the job DONE and forgets it. */
  done(job: J): void;
}

/**
 * Jobs that never reach the scheduler: each not yet DONE is forgotten, its submission settled
 * without an id, and (unless the backend is closing) it gets a fatal `type` exception (unless it
 * was canceled already, or `type` is undefined) and is abandoned.
 */
export function abandonUnsubmitted<J extends BatchJob>(ctx: SubmitterContext<J>, jobs: readonly J[], type: string | undefined, note: string): void {
  const host = ctx.host;
  for (const j of jobs) {
    if (j.phase === Phase.DONE) continue;
    ctx.done(j);
    settleSubmitted(j, undefined);
    if (ctx.closed) continue;
    if (type !== undefined && !j.cancelRequested) host.exception(j.handle, type, 0, note);
    host.abandoned(j.handle);
  }
}

/** `{ [key]: value }` when the value is defined, else `{}` (for optional fields of spread objects). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
