/**
 * Derives a job's state, result and exit code from its events, the way Flux does (RFC 21), so that
 * the store can keep them in columns that `list` can filter on. Pure functions, no I/O.
 *
 * Rules:
 * - Each event may move the state forward, never back: `validate` → DEPEND, `depend` → PRIORITY,
 *   `priority` → SCHED, `alloc`/`start` → RUN, `finish` → CLEANUP, a fatal exception (severity 0)
 *   → CLEANUP, `clean` → INACTIVE. Other events (`release`, `free`, `urgency`, names the store
 *   does not know) leave the state alone. Nothing moves an INACTIVE job.
 * - `submit` starts an attempt: everything is reset to NEW (this is how a requeued job restarts).
 * - The result is set on `clean`: COMPLETED if the job started and `finish` had status 0; otherwise
 *   the first fatal exception decides (`cancel` → CANCELED, `timeout` → TIMEOUT, any other →
 *   FAILED); FAILED if there was none.
 * - `returncode`: the exit code of the finish status, or minus the signal that ended it; -128 for
 *   a CANCELED job that has no status; unknown otherwise (e.g. a `lost` job).
 */
import type { JobException, JobResultName, JobState } from '../executor/types.js';
import type { NewEvent } from './types.js';

/** What the store derives from the events of a job's current attempt. */
export interface DerivedState {
  /** Current state. */
  readonly state: JobState;
  /** Result, once INACTIVE. */
  readonly result: JobResultName | undefined;
  /** Exit code (see module doc), once INACTIVE. */
  readonly returncode: number | undefined;
  /** Status of the `finish` event. */
  readonly waitstatus: number | undefined;
  /** First fatal exception. */
  readonly exception: JobException | undefined;
  /** Urgency (from `submit` and `urgency` events). */
  readonly urgency: number;
  /** Time of the first `start`. */
  readonly tRun: number | undefined;
  /** Time of `clean`. */
  readonly tCleanup: number | undefined;
}

/** Default urgency of a job (Flux's). */
export const DEFAULT_URGENCY = 16;

const RANK: Readonly<Record<JobState, number>> = {
  NEW: 0,
  DEPEND: 1,
  PRIORITY: 2,
  SCHED: 3,
  RUN: 4,
  CLEANUP: 5,
  INACTIVE: 6,
};

/** States in which a job is still alive (not INACTIVE). */
export const ACTIVE_STATES: readonly JobState[] = ['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP'];

/** All states, in RFC 21 order. */
export const ALL_STATES: readonly JobState[] = [...ACTIVE_STATES, 'INACTIVE'];

/** All results. */
export const ALL_RESULTS: readonly JobResultName[] = ['COMPLETED', 'FAILED', 'CANCELED', 'TIMEOUT'];

/** The state a job has before any event: NEW with the given urgency. */
export function initialState(urgency: number = DEFAULT_URGENCY): DerivedState {
  return {
    state: 'NEW',
    result: undefined,
    returncode: undefined,
    waitstatus: undefined,
    exception: undefined,
    urgency,
    tRun: undefined,
    tCleanup: undefined,
  };
}

/**
 * The exit code of a wait status (as from waitpid(2)): the exit code if the process exited, minus
 * the signal number if a signal killed it.
 *
 * @param waitstatus - `code << 8`, or the signal number (plus 0x80 if it dumped core).
 */
export function returncodeOf(waitstatus: number): number {
  const signal = waitstatus & 0x7f;
  if (signal === 0 || signal === 0x7f) return (waitstatus >> 8) & 0xff;
  return -signal;
}

/** The state an event moves a job towards, or undefined if it does not move it. */
function targetOf(ev: NewEvent): JobState | undefined {
  switch (ev.name) {
    case 'validate':
      return 'DEPEND';
    case 'depend':
      return 'PRIORITY';
    case 'priority':
      return 'SCHED';
    case 'alloc':
    case 'start':
      return 'RUN';
    case 'finish':
      return 'CLEANUP';
    case 'exception':
      return severityOf(ev) === 0 ? 'CLEANUP' : undefined;
    case 'clean':
      return 'INACTIVE';
    default:
      return undefined;
  }
}

/** Severity of an exception event; a missing or malformed one counts as 0 (fatal), as in `flux job raise`. */
function severityOf(ev: NewEvent): number {
  const s = ev.context?.['severity'];
  return typeof s === 'number' && Number.isInteger(s) ? s : 0;
}

function numberIn(ev: NewEvent, key: string): number | undefined {
  const v = ev.context?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The result of a job that just became INACTIVE. */
function resultOf(d: DerivedState): JobResultName {
  if (d.tRun !== undefined && d.waitstatus === 0) return 'COMPLETED';
  switch (d.exception?.type) {
    case 'cancel':
      return 'CANCELED';
    case 'timeout':
      return 'TIMEOUT';
    default:
      return 'FAILED';
  }
}

/**
 * Applies one event.
 *
 * @param d - The state before the event.
 * @param ev - The event.
 * @returns The state after it (a new object; `d` is not changed).
 */
export function applyEvent(d: DerivedState, ev: NewEvent): DerivedState {
  if (ev.name === 'submit') return initialState(numberIn(ev, 'urgency') ?? d.urgency);
  if (d.state === 'INACTIVE') return d;

  const next: { -readonly [K in keyof DerivedState]: DerivedState[K] } = { ...d };
  switch (ev.name) {
    case 'urgency': {
      const u = numberIn(ev, 'urgency');
      if (u !== undefined) next.urgency = u;
      break;
    }
    case 'start':
      next.tRun ??= ev.timestamp;
      break;
    case 'finish': {
      const status = numberIn(ev, 'status');
      if (status !== undefined) next.waitstatus = status;
      break;
    }
    case 'exception':
      if (severityOf(ev) === 0 && next.exception === undefined) {
        const type = ev.context?.['type'];
        const note = ev.context?.['note'];
        next.exception = {
          type: typeof type === 'string' ? type : 'unknown',
          severity: 0,
          note: typeof note === 'string' ? note : '',
        };
      }
      break;
  }

  const target = targetOf(ev);
  if (target !== undefined && RANK[target] > RANK[next.state]) next.state = target;

  if (next.state === 'INACTIVE') {
    next.tCleanup = ev.timestamp;
    next.result = resultOf(next);
    next.returncode =
      next.waitstatus !== undefined ? returncodeOf(next.waitstatus) : next.result === 'CANCELED' ? -128 : undefined;
  }
  return next;
}

/**
 * Applies events in order, starting from {@link initialState}.
 *
 * @param events - The events of one attempt (or of several: each `submit` starts over).
 * @param urgency - Urgency before the first event. Default 16.
 */
export function deriveState(events: Iterable<NewEvent>, urgency: number = DEFAULT_URGENCY): DerivedState {
  let d = initialState(urgency);
  for (const ev of events) d = applyEvent(d, ev);
  return d;
}
