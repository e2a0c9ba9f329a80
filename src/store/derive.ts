/**
 * Derives a job's state, result and exit code from its events, so that the store can keep them in
 * columns that `list` can filter on. Pure functions, no I/O. The rules are core's lifecycle table
 * and result rule (`core/lifecycle.ts`); this module only folds events through them.
 *
 * `submit` starts an attempt: everything is reset to NEW (this is how a requeued job restarts).
 */
import { exceptionOf, resultOf, returncodeOf, stateAfter, URGENCY } from '../core/lifecycle.js';
import type { JobException, JobResultName, JobState } from '../core/types.js';
import type { NewEvent } from './types.js';

/** What the store derives from the events of a job's current attempt. */
export interface DerivedState {
  /** Current state. */
  readonly state: JobState;
  /** Result, once INACTIVE. */
  readonly result: JobResultName | undefined;
  /** Exit code (core's `returncodeOf`), once INACTIVE. */
  readonly returncode: number | undefined;
  /** Status of the `finish` event. */
  readonly waitstatus: number | undefined;
  /** The first fatal exception. */
  readonly exception: JobException | undefined;
  /** A fatal exception came before `finish` (or there was no `finish`). */
  readonly fatalBeforeFinish: boolean;
  /** Urgency (from `submit` and `urgency` events). */
  readonly urgency: number;
  /** Time of the first `start`. */
  readonly tRun: number | undefined;
  /** Time of `clean`. */
  readonly tCleanup: number | undefined;
}

/** The state a job has before any event: NEW with the given urgency. */
export function initialState(urgency: number = URGENCY.DEFAULT): DerivedState {
  return {
    state: 'NEW',
    result: undefined,
    returncode: undefined,
    waitstatus: undefined,
    exception: undefined,
    fatalBeforeFinish: false,
    urgency,
    tRun: undefined,
    tCleanup: undefined,
  };
}

function numberIn(ev: NewEvent, key: string): number | undefined {
  const v = ev.context?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
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
  let severity = 0;
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
    case 'exception': {
      const x = exceptionOf(ev.context);
      severity = x.severity;
      if (x.severity === 0) {
        next.exception ??= x;
        if (next.waitstatus === undefined) next.fatalBeforeFinish = true;
      }
      break;
    }
  }
  next.state = stateAfter(next.state, ev.name, severity);

  if (next.state === 'INACTIVE') {
    next.tCleanup = ev.timestamp;
    next.result = resultOf({
      started: next.tRun !== undefined,
      waitstatus: next.waitstatus,
      fatalBeforeFinish: next.fatalBeforeFinish,
      exceptionType: next.exception?.type,
    });
    next.returncode = returncodeOf(next.waitstatus, next.result);
  }
  return next;
}

/**
 * Applies events in order, starting from {@link initialState}.
 *
 * @param events - The events of one attempt (or of several: each `submit` starts over).
 * @param urgency - Urgency before the first event. Default 16.
 */
export function deriveState(events: Iterable<NewEvent>, urgency: number = URGENCY.DEFAULT): DerivedState {
  let d = initialState(urgency);
  for (const ev of events) d = applyEvent(d, ev);
  return d;
}
