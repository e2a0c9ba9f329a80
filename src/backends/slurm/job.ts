/**
 * {@link SlurmJob}: what the Slurm backend keeps on each job it follows.
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import type { ControlChain } from '../batch/background-work.js';
import type { Missable } from '../batch/missing-grace.js';

/** Where a job is, as the backend sees it. */
export const Phase = {
  /** sbatch not returned yet (or waiting for a dependency's sbatch). */
  SUBMITTING: 0,
  /** Known to Slurm, followed by poll. */
  QUEUED: 1,
  /** Reported finished or abandoned. */
  DONE: 2,
} as const;

/** One of the {@link Phase} values. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** One job of the Slurm backend. */
export interface SlurmJob extends Missable, ControlChain {
  readonly handle: JobHandle;
  /** F58 id; status files are named after it. */
  readonly f58: string;
  /** Followed by `adopt`: no status file of its own. */
  readonly adopted: boolean;
  /** Several tasks run in an srun step: signals go to the steps, not to the batch shell (see `tasksRunInSrunStep`). */
  readonly multiTask: boolean;
  phase: Phase;
  nativeId: string | undefined;
  /** Resolves with the native id once sbatch returned, or undefined if it never will. */
  readonly submitted: Promise<string | undefined>;
  started: boolean;
  cancelRequested: boolean;
  /**
   * `scancel` of the job succeeded. A pending array task that is canceled leaves squeue at once
   * (Slurm drops it from the array's pending record; it gets no row of its own).
   */
  cancelSent?: boolean;
  /** Whether Slurm holds the job (as submitted or last changed). */
  held: boolean;
  /** Whether it should be held (urgency 0). */
  wantHeld: boolean;
  /** Adopted jobs: stdout/stderr as Slurm reports them. */
  paths?: { stdout: string; stderr: string };
  /** Adopted jobs that a jobfutures backend submitted: their status file. */
  ownStatus?: string;
  /** Settles {@link SlurmJob.submitted}; dropped once called. */
  settle?: ((id: string | undefined) => void) | undefined;
}

/** A job about to be submitted: SUBMITTING, its native id to come. */
export function newSubmittedJob(handle: JobHandle, f58: string, multiTask: boolean, urgency: number): SlurmJob {
  let settle!: (id: string | undefined) => void;
  const submitted = new Promise<string | undefined>((r) => (settle = r));
  return {
    handle,
    f58,
    adopted: false,
    multiTask,
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
export function newAdoptedJob(handle: JobHandle, f58: string, nativeId: string): SlurmJob {
  return {
    handle,
    f58,
    adopted: true,
    multiTask: false,
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
  };
}

/** Settles the job's `submitted` promise (once). */
export function settleSubmitted(j: SlurmJob, id: string | undefined): void {
  const settle = j.settle;
  j.settle = undefined;
  settle?.(id);
}
