import { EVENT_NAMES, JOB_RESULTS, resultFrom, returncodeOf as returncodeRule, standardContext, type ContextFacts } from '../core/lifecycle.js';
import type { EndTimes } from '../core/backend.js';
import type { JobEvent, JobException, JobResult, JobResultName } from '../core/types.js';
import { F, JobTable, R, T, T_COUNT } from './job-table.js';
import type { QueueLog } from './queue-log.js';

/** Event names by code: core's lifecycle order. */
export { EVENT_NAMES };

/** Event codes (index into {@link EVENT_NAMES}). */
export const enum E {
  SUBMIT = 0,
  VALIDATE = 1,
  DEPEND = 2,
  PRIORITY = 3,
  ALLOC = 4,
  START = 5,
  FINISH = 6,
  RELEASE = 7,
  FREE = 8,
  CLEAN = 9,
  EXCEPTION = 10,
  URGENCY = 11,
}

/** Result names by code ({@link R}): 0 is "none yet", then core's results in order. */
export const RESULT_NAMES: readonly (JobResultName | undefined)[] = [undefined, ...JOB_RESULTS];

/** Events kept in the side list: any number of them, anywhere in the eventlog (`priority` only when a job has more than one). */
export type ExtraEventName = 'exception' | 'urgency' | 'priority';

/**
 * An event that the compact record cannot derive from the job table (an exception, an urgency
 * change), kept in a side list with its position in the job's eventlog.
 */
export interface ExtraEvent {
  /** How many events the job had before this one. */
  readonly pos: number;
  readonly name: ExtraEventName;
  readonly timestamp: number;
  readonly context: Readonly<Record<string, unknown>>;
}

/** The facts the standard contexts of job `h` are built from (core's lifecycle table). */
export function contextFacts(table: JobTable, h: number, urgency: number): ContextFacts {
  return { urgency, cores: table.specs[h]!.totalCores, status: table.status[h]! };
}

/**
 * Rebuilds a job's eventlog from its compact record: the standard events from the table's
 * timestamps (they are emitted in a fixed order), then the extras put back at their positions.
 * `ends` holds `release`/`free` times a backend reported on their own (else the finish's, or the clean's);
 * `own` the times and contexts of a backend that reports its queueing events (else the standard ones).
 */
export function rebuildEvents(table: JobTable, h: number, extras: readonly ExtraEvent[] | undefined, initialUrgency: number, ends?: EndTimes, own?: QueueLog): JobEvent[] {
  const base = h * T_COUNT;
  const t = table.times;
  const flags = table.flags[h]!;
  const out: JobEvent[] = [];
  const facts = contextFacts(table, h, initialUrgency);
  const push = (name: JobEvent['name'], timestamp: number, ownContext?: Readonly<Record<string, unknown>>): void => {
    const context = ownContext ?? standardContext(name, facts);
    out.push(context ? { name, timestamp, context } : { name, timestamp });
  };
  const tSubmit = t[base + T.SUBMIT]!;
  if (tSubmit === 0) return out;
  if ((flags & F.AWAIT_SUBMIT) === 0) {
    push('submit', tSubmit, own?.submit);
    push('validate', own?.validate ?? tSubmit);
  }
  const tDepend = t[base + T.DEPEND]!;
  if (tDepend !== 0) push('depend', tDepend);
  const tPriority = t[base + T.PRIORITY]!;
  if (tPriority !== 0) push('priority', tPriority, own?.priority);
  if (flags & F.ALLOC) push('alloc', t[base + T.ALLOC]!, own?.alloc);
  if (flags & F.START) push('start', t[base + T.START]!);
  const tClean = t[base + T.CLEAN]!;
  if (flags & F.FINISH) push('finish', t[base + T.FINISH]!);
  if (flags & F.ALLOC && (flags & F.FINISH || tClean !== 0)) {
    const tRelease = flags & F.FINISH ? t[base + T.FINISH]! : tClean;
    push('release', ends?.release ?? tRelease);
    push('free', ends?.free ?? tRelease);
  }
  if (tClean !== 0) push('clean', tClean);
  if (extras) {
    // Extras are in emission order; inserting each at its recorded position restores the log.
    for (const x of extras) out.splice(Math.min(x.pos, out.length), 0, { name: x.name, timestamp: x.timestamp, context: x.context });
  }
  return out;
}

/** The first fatal exception among a job's extras, if any. */
export function fatalException(extras: readonly ExtraEvent[] | undefined): JobException | undefined {
  if (!extras) return undefined;
  for (const x of extras) {
    if (x.name === 'exception' && x.context.severity === 0) {
      return { type: String(x.context.type), severity: 0, note: String(x.context.note ?? '') };
    }
  }
  return undefined;
}

/** The result of inactive job `h`, from its compact record and its extras (if it has any). */
export function resultRecord(table: JobTable, h: number, extras: readonly ExtraEvent[] | undefined): JobResult {
  const exception = fatalException(extras);
  const status = table.status[h]!;
  const base = h * T_COUNT;
  const tRun = table.times[base + T.START]!;
  // One literal with every key (undefined when absent): a single object shape for all results.
  return {
    jobid: table.jobid(h),
    nativeId: table.nativeIds[h],
    result: RESULT_NAMES[table.result[h]!]!,
    returncode: returncodeOf(status, table.result[h]!),
    waitstatus: status >= 0 ? status : undefined,
    exception,
    tSubmit: table.times[base + T.SUBMIT]!,
    tRun: tRun !== 0 ? tRun : undefined,
    tCleanup: table.times[base + T.CLEAN]!,
  };
}

/** Core's returncode rule over the table's encoding (a negative status: the job never finished). */
export function returncodeOf(status: number, result: R): number {
  return returncodeRule(status >= 0 ? status : undefined, RESULT_NAMES[result] ?? 'FAILED');
}

/**
 * Core's result rule over the table's flags. The engine cleans a job in the same call that
 * reports its `finish`, so a fatal exception of a job (F.FATAL) always came before its `finish`.
 */
export function resultOf(flags: number, status: number, exception: JobException | undefined): R {
  return RESULT_CODE[resultFrom((flags & F.START) !== 0, flags & F.FINISH && status >= 0 ? status : undefined, (flags & F.FATAL) !== 0, exception?.type)];
}

const RESULT_CODE: Readonly<Record<JobResultName, R>> = { COMPLETED: R.COMPLETED, FAILED: R.FAILED, CANCELED: R.CANCELED, TIMEOUT: R.TIMEOUT };
