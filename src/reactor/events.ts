import type { JobEvent, JobEventName, JobException, JobResultName } from '../executor/types.js';
import { F, JobTable, R, T, T_COUNT } from './job-table.js';

/** Event names by code; the order is the order of a job's life. */
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

/** Result names by code ({@link R}). */
export const RESULT_NAMES: readonly (JobResultName | undefined)[] = [undefined, 'COMPLETED', 'FAILED', 'CANCELED', 'TIMEOUT'];

/**
 * An event that the compact record cannot derive from the job table (an exception, an urgency
 * change), kept in a side list with its position in the job's eventlog.
 */
export interface ExtraEvent {
  /** How many events the job had before this one. */
  readonly pos: number;
  readonly name: 'exception' | 'urgency';
  readonly timestamp: number;
  readonly context: Readonly<Record<string, unknown>>;
}

/** The submit context Flux uses. */
export function submitContext(urgency: number): Record<string, unknown> {
  return { urgency, userid: process.getuid?.() ?? 0, flags: 0, version: 1 };
}

/**
 * Rebuilds a job's eventlog from its compact record: the standard events from the table's
 * timestamps (they are emitted in a fixed order), then the extras put back at their positions.
 */
export function rebuildEvents(table: JobTable, h: number, extras: readonly ExtraEvent[] | undefined, initialUrgency: number): JobEvent[] {
  const base = h * T_COUNT;
  const t = table.times;
  const flags = table.flags[h]!;
  const out: JobEvent[] = [];
  const tSubmit = t[base + T.SUBMIT]!;
  if (tSubmit === 0) return out;
  out.push({ name: 'submit', timestamp: tSubmit, context: submitContext(initialUrgency) });
  out.push({ name: 'validate', timestamp: tSubmit });
  const tDepend = t[base + T.DEPEND]!;
  if (tDepend !== 0) out.push({ name: 'depend', timestamp: tDepend });
  const tPriority = t[base + T.PRIORITY]!;
  if (tPriority !== 0) out.push({ name: 'priority', timestamp: tPriority, context: { priority: initialUrgency } });
  if (flags & F.ALLOC) out.push({ name: 'alloc', timestamp: t[base + T.ALLOC]!, context: { cores: table.specs[h]!.totalCores } });
  if (flags & F.START) out.push({ name: 'start', timestamp: t[base + T.START]! });
  const tClean = t[base + T.CLEAN]!;
  if (flags & F.FINISH) out.push({ name: 'finish', timestamp: t[base + T.FINISH]!, context: { status: table.status[h]! } });
  if (flags & F.ALLOC && (flags & F.FINISH || tClean !== 0)) {
    const tRelease = flags & F.FINISH ? t[base + T.FINISH]! : tClean;
    out.push({ name: 'release', timestamp: tRelease, context: { ranks: 'all', final: true } });
    out.push({ name: 'free', timestamp: tRelease });
  }
  if (tClean !== 0) out.push({ name: 'clean', timestamp: tClean });
  if (extras) {
    // Extras are in emission order; inserting each at its recorded position restores the log.
    for (const x of extras) out.splice(Math.min(x.pos, out.length), 0, { name: x.name, timestamp: x.timestamp, context: x.context });
  }
  return out;
}

/** The fatal exception among a job's extras, if any. */
export function fatalException(extras: readonly ExtraEvent[] | undefined): JobException | undefined {
  if (!extras) return undefined;
  for (const x of extras) {
    if (x.name === 'exception' && x.context.severity === 0) {
      return { type: String(x.context.type), severity: 0, note: String(x.context.note ?? '') };
    }
  }
  return undefined;
}

/** Flux's returncode: exit code, minus the signal number, -128 for a cancel with no status, else 1. */
export function returncodeOf(status: number, exception: JobException | undefined): number {
  if (status >= 0) {
    const sig = status & 0x7f;
    return sig === 0 ? (status >> 8) & 0xff : -sig;
  }
  return exception?.type === 'cancel' ? -128 : 1;
}

/** Result code from what happened: COMPLETED needs a start and status 0 and no fatal exception. */
export function resultOf(flags: number, status: number, exception: JobException | undefined): R {
  if (exception) {
    if (exception.type === 'cancel') return R.CANCELED;
    if (exception.type === 'timeout') return R.TIMEOUT;
    return R.FAILED;
  }
  return flags & F.START && status === 0 ? R.COMPLETED : R.FAILED;
}
