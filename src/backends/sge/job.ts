/**
 * {@link SgeJob}: what the Grid Engine backend keeps on each job it follows.
 *
 * @module
 */
import type { BatchJob } from '../batch/tracked-job.js';

export { Phase, settleSubmitted, newSubmittedBatchJob as newSubmittedJob, newAdoptedBatchJob as newAdoptedJob } from '../batch/tracked-job.js';

/** One job of the Grid Engine backend (`nativeId` is `123`, or `123.4` for task 4 of array 123). */
export type SgeJob = BatchJob;

/** The job number of a native id (`123` of `123.4`). */
export function jobNumber(nativeId: string): string {
  const dot = nativeId.indexOf('.');
  return dot < 0 ? nativeId : nativeId.slice(0, dot);
}
