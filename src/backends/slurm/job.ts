/**
 * {@link SlurmJob}: what the Slurm backend keeps on each job it follows (the kit's
 * {@link BatchJob} and what only Slurm needs).
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import { newAdoptedBatchJob, newSubmittedBatchJob, type BatchJob } from '../batch/tracked-job.js';

export { Phase, settleSubmitted } from '../batch/tracked-job.js';

/** One job of the Slurm backend. */
export interface SlurmJob extends BatchJob {
  /** Several tasks run in an srun step: signals go to the steps, not to the batch shell (see `tasksRunInSrunStep`). */
  readonly multiTask: boolean;
  /**
   * `scancel` of the job succeeded. A pending array task that is canceled leaves squeue at once
   * (Slurm drops it from the array's pending record; it gets no row of its own).
   */
  cancelSent?: boolean;
  /** Adopted jobs: stdout/stderr as Slurm reports them. */
  paths?: { stdout: string; stderr: string };
}

/** A job about to be submitted: SUBMITTING, its native id to come. */
export function newSubmittedJob(handle: JobHandle, f58: string, multiTask: boolean, urgency: number): SlurmJob {
  return { ...newSubmittedBatchJob(handle, f58, urgency), multiTask };
}

/** A job submitted elsewhere (or by a dead owner), QUEUED under `nativeId`. */
export function newAdoptedJob(handle: JobHandle, f58: string, nativeId: string): SlurmJob {
  return { ...newAdoptedBatchJob(handle, f58, nativeId), multiTask: false };
}
