/**
 * The one lifecycle table of a job (Flux RFC 21) and the one result rule (Flux job-list's). The
 * reactor, the store's derivation and every backend use these; nothing restates them.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { DependencyKind, JobEventName, JobException, JobResultName, JobState } from './types.js';

/** Every state, in RFC 21 order. */
export const JOB_STATES: readonly JobState[] = ['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP', 'INACTIVE'];

/** States in which a job is still alive (all but INACTIVE). */
export const ACTIVE_STATES: readonly JobState[] = JOB_STATES.slice(0, -1);

/** Every result. */
export const JOB_RESULTS: readonly JobResultName[] = ['COMPLETED', 'FAILED', 'CANCELED', 'TIMEOUT'];

/** Every dependency kind. */
export const DEPENDENCY_KINDS: readonly DependencyKind[] = ['afterok', 'afterany'];

/** Event names in the order of a job's life; `exception` and `urgency` may come at any point. */
export const EVENT_NAMES: readonly JobEventName[] = [
  'submit',
  'validate',
  'depend',
  'priority',
  'alloc',
  'start',
  'finish',
  'release',
  'free',
  'clean',
  'exception',
  'urgency',
];

/** Urgency bounds and default (Flux's): 0 holds a job, 31 expedites it. */
export const URGENCY = Object.freeze({ MIN: 0, MAX: 31, DEFAULT: 16, HOLD: 0, EXPEDITE: 31 });

/**
 * Checks an urgency option.
 *
 * @param urgency - The value given, or undefined for the default.
 * @param argument - The option's name, for the error.
 * @returns The urgency (the default when undefined).
 * @throws {@link InvalidArgumentError} unless it is an integer from 0 to 31.
 */
export function checkUrgency(urgency: unknown, argument = 'urgency'): number {
  if (urgency === undefined) return URGENCY.DEFAULT;
  if (typeof urgency !== 'number' || !Number.isInteger(urgency) || urgency < URGENCY.MIN || urgency > URGENCY.MAX) {
    throw new InvalidArgumentError(argument, `must be an integer from ${URGENCY.MIN} to ${URGENCY.MAX}, got ${String(urgency)}`);
  }
  return urgency;
}

/** A job's name when its jobspec has none: the base name of its command. */
export function defaultJobName(spec: { readonly name?: string | undefined; readonly command: readonly string[] }): string {
  if (spec.name !== undefined) return spec.name;
  const cmd = spec.command[0] ?? '';
  const base = cmd.slice(cmd.lastIndexOf('/') + 1);
  return base === '' ? 'job' : base;
}

/** What the standard events' contexts are built from. */
export interface ContextFacts {
  /** The urgency at submit (for `submit`) or now (for `priority`). */
  readonly urgency: number;
  /** Cores allocated (for `alloc`). */
  readonly cores: number;
  /** Wait status (for `finish`). */
  readonly status: number;
}

/** One row of the lifecycle table. */
export interface LifecycleRule {
  /**
   * The state the event moves a job towards (never back). For `exception` only a fatal one
   * (severity 0) moves it; `submit` starts an attempt (back to NEW).
   */
  readonly advancesTo: JobState | undefined;
  /** How the event's context is built, for events whose context is standard. */
  readonly context?: (facts: ContextFacts) => Readonly<Record<string, unknown>>;
}

/** The user id put in `submit` contexts. */
const USERID = process.getuid?.() ?? 0;

/** The lifecycle table: event name → the state it advances to → how its context is built. */
export const LIFECYCLE: Readonly<Record<JobEventName, LifecycleRule>> = {
  submit: { advancesTo: 'NEW', context: (f) => ({ urgency: f.urgency, userid: USERID, flags: 0, version: 1 }) },
  validate: { advancesTo: 'DEPEND' },
  depend: { advancesTo: 'PRIORITY' },
  priority: { advancesTo: 'SCHED', context: (f) => ({ priority: f.urgency }) },
  alloc: { advancesTo: 'RUN', context: (f) => ({ cores: f.cores }) },
  start: { advancesTo: 'RUN' },
  finish: { advancesTo: 'CLEANUP', context: (f) => ({ status: f.status }) },
  release: { advancesTo: undefined, context: () => ({ ranks: 'all', final: true }) },
  free: { advancesTo: undefined },
  clean: { advancesTo: 'INACTIVE' },
  exception: { advancesTo: 'CLEANUP' },
  urgency: { advancesTo: undefined },
};

/** The rank of each state in RFC 21 order (a job only moves to a higher rank). */
export const STATE_RANK: Readonly<Record<JobState, number>> = Object.fromEntries(JOB_STATES.map((s, i) => [s, i])) as Record<JobState, number>;

/**
 * The state after an event: the event's target when it is further along, else unchanged. An
 * INACTIVE job never moves; a non-fatal exception moves nothing.
 *
 * @param state - The state before.
 * @param name - The event.
 * @param severity - For `exception`: its severity.
 */
export function stateAfter(state: JobState, name: string, severity = 0): JobState {
  if (state === 'INACTIVE') return state;
  const rule = (LIFECYCLE as Record<string, LifecycleRule | undefined>)[name];
  const target = rule?.advancesTo;
  if (target === undefined || name === 'submit') return state;
  if (name === 'exception' && severity !== 0) return state;
  return STATE_RANK[target] > STATE_RANK[state] ? target : state;
}

/** The standard context of an event, or undefined for events that have none (or a non-standard one). */
export function standardContext(name: JobEventName, facts: ContextFacts): Readonly<Record<string, unknown>> | undefined {
  return LIFECYCLE[name].context?.(facts);
}

/** The submit context Flux uses. */
export function submitContext(urgency: number): Record<string, unknown> {
  return { urgency, userid: USERID, flags: 0, version: 1 };
}

/** What decides a job's result. */
export interface OutcomeFacts {
  /** The job's processes started. */
  readonly started: boolean;
  /** Wait status of `finish`, if the job finished. */
  readonly waitstatus: number | undefined;
  /** A fatal exception (severity 0) was raised before `finish` (or with no `finish`). */
  readonly fatalBeforeFinish: boolean;
  /**
   * The type of the first fatal exception. (Flux would also let a non-fatal `cancel` or `timeout`
   * name the result of a job that failed without a fatal one; such a job is FAILED here.)
   */
  readonly exceptionType: string | undefined;
}

/**
 * The result rule (Flux job-list's): COMPLETED needs a start, a `finish` with status 0, and no
 * fatal exception before it; otherwise the first fatal exception's type decides (`cancel` →
 * CANCELED, `timeout` → TIMEOUT), and anything else is FAILED.
 */
export function resultOf(f: OutcomeFacts): JobResultName {
  return resultFrom(f.started, f.waitstatus, f.fatalBeforeFinish, f.exceptionType);
}

/** {@link resultOf} with positional arguments, for the engine's hot path (no object per job). */
export function resultFrom(started: boolean, waitstatus: number | undefined, fatalBeforeFinish: boolean, exceptionType: string | undefined): JobResultName {
  if (started && waitstatus === 0 && !fatalBeforeFinish) return 'COMPLETED';
  if (exceptionType === 'cancel') return 'CANCELED';
  if (exceptionType === 'timeout') return 'TIMEOUT';
  return 'FAILED';
}

/**
 * A job's return code (Flux's `flux jobs`): the exit code of its wait status, or minus the signal
 * that killed it; without a status, -128 for a CANCELED job and 1 for any other.
 *
 * @param waitstatus - As from waitpid(2): `code << 8`, or the signal number (+0x80 with a core dump).
 */
export function returncodeOf(waitstatus: number | undefined, result: JobResultName): number {
  if (waitstatus === undefined || waitstatus < 0) return result === 'CANCELED' ? -128 : 1;
  const signal = waitstatus & 0x7f;
  if (signal === 0 || signal === 0x7f) return (waitstatus >> 8) & 0xff;
  return -signal;
}

/** An exception event's context as a {@link JobException} (malformed fields read as Flux's defaults). */
export function exceptionOf(context: Readonly<Record<string, unknown>> | undefined): JobException {
  const type = context?.['type'];
  const severity = context?.['severity'];
  const note = context?.['note'];
  return {
    type: typeof type === 'string' ? type : 'unknown',
    severity: typeof severity === 'number' && Number.isInteger(severity) ? severity : 0,
    note: typeof note === 'string' ? note : '',
  };
}
