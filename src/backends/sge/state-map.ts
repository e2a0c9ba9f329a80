/**
 * Grid Engine job states (the letters of `qstat`'s state column, e.g. `qw`, `hqw`, `r`, `Eqw`,
 * `dr`, `Rq`) and accounting records mapped onto jobfutures' job states (RFC 21) and results.
 *
 * Grid Engine composes a state from letters: `d` deletion, `E` error, `h` hold, `r` running,
 * `R` restarted, `s`/`S`/`T` suspended (job / queue / threshold), `t` transferring, `q` queued,
 * `w` waiting, `z` zombie (finished, `qstat -s z` only).
 *
 * @module
 */
import type { JobResultName, JobState } from '../../core/types.js';
import { SGE_FAILED, type AccountingRecord } from './parse.js';

/** Where a Grid Engine state puts a job. */
export type SgePhase =
  /** Queued, waiting for a slot (SCHED). */
  | 'pending'
  /** Held (`h` with `q`): by the user, or by `-hold_jid` (then DEPEND). Will not start until released. */
  | 'held'
  /** Started (transferring, running, suspended): RUN. */
  | 'running'
  /** Rerun after `exit 99` or a failed host (`Rq`): SCHED again, not final. */
  | 'requeued'
  /**
   * Error state (`E`, e.g. `Eqw` after `exit 100` or a missing working directory): never runs
   * unless someone runs `qmod -cj`, and `-hold_jid` dependents wait for ever. The backend must
   * end (qdel) it and report why (`qstat -j ID` error reason).
   */
  | 'error'
  /** `qdel` in progress (`d`): the job is being killed (CLEANUP). */
  | 'deleting'
  /** Finished (`z`): INACTIVE once its accounting record says how. */
  | 'final';

/** The meaning of one Grid Engine state. */
export interface SgeStateInfo {
  readonly phase: SgePhase;
  /** The jobfutures state this corresponds to. */
  readonly jobState: JobState;
  /** The state holds a hold (`h`): user/operator/system hold, or `-hold_jid`. */
  readonly held: boolean;
  /** The state holds a suspension (`s`, `S`, `T`). */
  readonly suspended: boolean;
}

/** Options of {@link sgeState}. */
export interface SgeStateOptions {
  /**
   * The job's hold is a `-hold_jid` dependency (it is listed by `qstat -s hj`, or the backend
   * submitted it so): `hqw` then means DEPEND, not a user hold.
   */
  readonly dependencyHold?: boolean;
}

/**
 * Maps Grid Engine state letters onto their meaning. Precedence: `d` (deleting) over `E` (error)
 * over started (`r`, `t`, `s`, `S`, `T`) over `R` + `q` (requeued) over `h` (held) over `q`/`w`.
 * Unknown letters or an empty state count as pending: a state Grid Engine adds must never end a
 * job by mistake.
 */
export function sgeState(letters: string, opts: SgeStateOptions = {}): SgeStateInfo {
  const s = letters.trim();
  const has = (c: string) => s.includes(c);
  const held = has('h');
  const suspended = has('s') || has('S') || has('T');
  const started = has('r') || has('t') || suspended;
  const info = (phase: SgePhase, jobState: JobState): SgeStateInfo => ({ phase, jobState, held, suspended });
  if (has('d')) return info('deleting', started ? 'CLEANUP' : 'SCHED');
  if (has('E')) return info('error', 'SCHED');
  if (has('z')) return info('final', 'INACTIVE');
  if (started) return info('running', 'RUN');
  if (has('R')) return info('requeued', 'SCHED');
  if (held) return info('held', opts.dependencyHold ? 'DEPEND' : 'SCHED');
  return info('pending', 'SCHED');
}

/** How an accounting record says a job ended. */
export interface AccountingOutcome {
  /** The result Flux would derive. */
  readonly result: JobResultName;
  /**
   * The wait status it implies (`code << 8`, or the signal number), when SGE knows one: the
   * job's own status file is the better source (the job script's exit status is not the command's).
   */
  readonly waitstatus: number | undefined;
  /** A short reason for results other than COMPLETED (`h_rt exceeded`, `killed by signal 9`, ...). */
  readonly reason?: string;
}

/**
 * Maps an accounting record onto a result. `qdel` and a signal both give `failed 100` with
 * `exit_status 128 + N`: the backend, which knows whether it canceled the job, reports CANCELED
 * itself; here that is FAILED.
 */
export function accountingOutcome(rec: AccountingRecord): AccountingOutcome {
  if (rec.failed === SGE_FAILED.LIMIT_ENFORCED) return { result: 'TIMEOUT', waitstatus: rec.signal ?? 9, reason: 'time limit (h_rt) exceeded' };
  if (rec.signal !== undefined) return { result: 'FAILED', waitstatus: rec.signal, reason: `killed by signal ${rec.signal}` };
  if (rec.failed === SGE_FAILED.NONE) {
    const waitstatus = (rec.exitStatus & 255) << 8;
    return rec.exitStatus === 0 ? { result: 'COMPLETED', waitstatus } : { result: 'FAILED', waitstatus, reason: `exit status ${rec.exitStatus}` };
  }
  return { result: 'FAILED', waitstatus: undefined, reason: `Grid Engine failed code ${rec.failed}${rec.failedReason ? ` (${rec.failedReason})` : ''}` };
}
