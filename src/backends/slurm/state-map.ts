/**
 * Slurm job states (squeue/scontrol `JobState`, sacct `State`) mapped onto jobfutures' job states
 * and results.
 *
 * @module
 */
import type { JobResultName, JobState } from '../../core/types.js';

/** Where a Slurm state puts a job. */
export type SlurmPhase =
  /** Waiting for resources (SCHED). */
  | 'pending'
  /** Running or finishing (RUN). */
  | 'running'
  /** Went back to the queue (preempted, requeued): SCHED again, not final. */
  | 'requeued'
  /** Ended (INACTIVE once reported). */
  | 'final';

/** The meaning of one Slurm state. */
export interface SlurmStateInfo {
  /** What the backend does with the job. */
  readonly phase: SlurmPhase;
  /** The jobfutures state this corresponds to. */
  readonly jobState: JobState;
  /** For final states: the result Flux would derive. */
  readonly result?: JobResultName;
}

const PENDING: SlurmStateInfo = { phase: 'pending', jobState: 'SCHED' };
const RUNNING: SlurmStateInfo = { phase: 'running', jobState: 'RUN' };
const REQUEUED: SlurmStateInfo = { phase: 'requeued', jobState: 'SCHED' };
const final = (result: JobResultName): SlurmStateInfo => ({ phase: 'final', jobState: 'INACTIVE', result });

const STATES: ReadonlyMap<string, SlurmStateInfo> = new Map([
  ['PENDING', PENDING],
  ['CONFIGURING', PENDING],
  ['REQUEUE_HOLD', PENDING],
  ['REQUEUE_FED', PENDING],
  ['RESV_DEL_HOLD', PENDING],
  ['SPECIAL_EXIT', PENDING],
  ['RUNNING', RUNNING],
  ['COMPLETING', RUNNING],
  ['SUSPENDED', RUNNING],
  ['STOPPED', RUNNING],
  ['SIGNALING', RUNNING],
  ['STAGE_OUT', RUNNING],
  ['RESIZING', RUNNING],
  ['PREEMPTED', REQUEUED],
  ['REQUEUED', REQUEUED],
  ['COMPLETED', final('COMPLETED')],
  ['FAILED', final('FAILED')],
  ['NODE_FAIL', final('FAILED')],
  ['BOOT_FAIL', final('FAILED')],
  ['OUT_OF_MEMORY', final('FAILED')],
  ['REVOKED', final('CANCELED')],
  ['CANCELLED', final('CANCELED')],
  ['TIMEOUT', final('TIMEOUT')],
  ['DEADLINE', final('TIMEOUT')],
]);

/** The compact codes of `squeue -t` / `%t` for the same states. */
const COMPACT: ReadonlyMap<string, string> = new Map([
  ['PD', 'PENDING'],
  ['CF', 'CONFIGURING'],
  ['RH', 'REQUEUE_HOLD'],
  ['RF', 'REQUEUE_FED'],
  ['RD', 'RESV_DEL_HOLD'],
  ['SE', 'SPECIAL_EXIT'],
  ['R', 'RUNNING'],
  ['CG', 'COMPLETING'],
  ['S', 'SUSPENDED'],
  ['ST', 'STOPPED'],
  ['SI', 'SIGNALING'],
  ['SO', 'STAGE_OUT'],
  ['RS', 'RESIZING'],
  ['PR', 'PREEMPTED'],
  ['RQ', 'REQUEUED'],
  ['CD', 'COMPLETED'],
  ['F', 'FAILED'],
  ['NF', 'NODE_FAIL'],
  ['BF', 'BOOT_FAIL'],
  ['OOM', 'OUT_OF_MEMORY'],
  ['RV', 'REVOKED'],
  ['CA', 'CANCELLED'],
  ['TO', 'TIMEOUT'],
  ['DL', 'DEADLINE'],
]);

/**
 * Maps a Slurm state (long name such as `RUNNING`, `CANCELLED by 0`, or compact code such as
 * `CD`) onto its meaning. Unknown states count as pending: a state Slurm adds later must never
 * end a job by mistake.
 */
export function slurmState(state: string): SlurmStateInfo {
  const word = (state.trim().split(/\s+/)[0] ?? '').replace(/\+$/, '').toUpperCase();
  return STATES.get(word) ?? STATES.get(COMPACT.get(word) ?? '') ?? PENDING;
}

/** Whether a Slurm state is final (the job will not run again). */
export function isFinalSlurmState(state: string): boolean {
  return slurmState(state).phase === 'final';
}
