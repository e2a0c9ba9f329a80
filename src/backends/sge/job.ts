/**
 * {@link SgeJob}: what the Grid Engine backend keeps on each job it follows.
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import type { ControlChain } from '../batch/background-work.js';
import type { Missable } from '../batch/missing-grace.js';

/** Where a job is, as the backend sees it. */
export const Phase = {
  /** qsub not returned yet (or waiting for a dependency's qsub). */
  SUBMITTING: 0,
  /** Known to Grid Engine, followed by poll. */
  QUEUED: 1,
  /** Reported finished or abandoned. */
  DONE: 2,
} as const;

/** One of the {@link Phase} values. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** One job of the Grid Engine backend. */
export interface SgeJob extends Missable, ControlChain {
  readonly handle: JobHandle;
  /** F58 id; status files are named after it. */
  readonly f58: string;
  /** Followed by `adopt`: no status file of its own (unless {@link SgeJob.ownStatus}). */
  readonly adopted: boolean;
  phase: Phase;
  /** `123`, or `123.4` for task 4 of array 123. */
  nativeId: string | undefined;
  /** Resolves with the native id once qsub returned, or undefined if it never will. */
  readonly submitted: Promise<string | undefined>;
  started: boolean;
  cancelRequested: boolean;
  /** Whether Grid Engine holds the job (as submitted or last changed). */
  held: boolean;
  /** Whether it should be held (urgency 0). */
  wantHeld: boolean;
  /** Adopted jobs that a jobfutures backend submitted: their status file. */
  ownStatus?: string;
  /** Settles {@link SgeJob.submitted}; dropped once called. */
  settle?: ((id: string | undefined) => void) | undefined;
}

/** A job about to be submitted: SUBMITTING, its native id to come. */
export function newSubmittedJob(handle: JobHandle, f58: string, urgency: number): SgeJob {
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
export function newAdoptedJob(handle: JobHandle, f58: string, nativeId: string, ownStatus?: string): SgeJob {
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
export function settleSubmitted(j: SgeJob, id: string | undefined): void {
  const settle = j.settle;
  j.settle = undefined;
  settle?.(id);
}

/** The job number of a native id (`123` of `123.4`). */
export function jobNumber(nativeId: string): string {
  const dot = nativeId.indexOf('.');
  return dot < 0 ? nativeId : nativeId.slice(0, dot);
}
