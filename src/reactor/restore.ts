import type { JobID } from '../ids/index.js';
import type { Jobspec } from '../jobspec/index.js';
import type { JobEvent } from '../core/types.js';
import type { ExtraEvent } from './events.js';
import { F, type JobRef, JobTable, T, T_COUNT } from './job-table.js';

/** A job read back from a store, to be continued by this reactor (see `Reactor.restore`). */
export interface RestoredJob {
  readonly jobid: JobID;
  readonly spec: Jobspec;
  readonly urgency: number;
  /** The events of its current attempt, in order. */
  readonly events: readonly JobEvent[];
  readonly nativeId?: string;
  /** Jobs it waits for (already restored or finished here). */
  readonly dependsOn?: readonly JobID[];
  readonly dependsOnAny?: readonly JobID[];
}

/** Where a restored job goes on from, decided by {@link resumePoint}. */
export const enum Resume {
  /** It was cleaned up already: only its result is to be derived. */
  INACTIVE,
  /** It finished, or failed before any backend knew it: clean it up. */
  ABANDON,
  /** The backend may know it (started, named, or scheduled with a backend that recovers): the backend finds out. */
  BACKEND,
  /** It was queued but never reached the backend: submit it. */
  SCHEDULE,
  /** It never got past its dependencies: wait for them again. */
  DEPEND,
}

/**
 * Loads a job's past events into its slot of the table (timestamps, flags, wait status) without
 * journaling or delivering them. Returns the events the table cannot hold (exceptions, urgency
 * changes), positioned in the job's eventlog, or undefined if there are none.
 */
export function replayEvents(table: JobTable, h: JobRef, events: readonly JobEvent[]): ExtraEvent[] | undefined {
  const base = h * T_COUNT;
  let extras: ExtraEvent[] | undefined;
  for (let pos = 0; pos < events.length; pos++) {
    const ev = events[pos]!;
    const t = ev.timestamp;
    switch (ev.name) {
      case 'submit':
        table.times[base + T.SUBMIT] = t;
        break;
      case 'depend':
        table.times[base + T.DEPEND] = t;
        break;
      case 'priority':
        // a second one (after an urgency change, from a backend that reports its own) is an extra
        if (table.times[base + T.PRIORITY] === 0) table.times[base + T.PRIORITY] = t;
        else {
          (extras ??= []).push({ pos, name: 'priority', timestamp: t, context: ev.context ?? {} });
          table.flags[h]! |= F.EXTRAS;
        }
        break;
      case 'alloc':
        table.times[base + T.ALLOC] = t;
        table.flags[h]! |= F.ALLOC;
        break;
      case 'start':
        table.times[base + T.START] = t;
        table.flags[h]! |= F.START;
        break;
      case 'finish':
        table.times[base + T.FINISH] = t;
        table.flags[h]! |= F.FINISH;
        table.status[h] = Number(ev.context?.status ?? 0);
        break;
      case 'clean':
        table.times[base + T.CLEAN] = t;
        break;
      case 'exception':
      case 'urgency': {
        const context = ev.context ?? {};
        (extras ??= []).push({ pos, name: ev.name, timestamp: t, context });
        table.flags[h]! |= F.EXTRAS;
        if (ev.name === 'exception' && context.severity === 0) table.flags[h]! |= F.FATAL;
        break;
      }
      default:
        break; // validate, release, free: derived
    }
  }
  return extras;
}

/**
 * Decides where a replayed job goes on from. `named`: the store knows its native id;
 * `backendRecovers`: the backend has a `recover` of its own; `reportsQueue`: the backend reports
 * the queueing events itself (a job handed over has no engine `priority` to show it).
 */
export function resumePoint(table: JobTable, h: JobRef, named: boolean, backendRecovers: boolean, reportsQueue = false): Resume {
  const flags = table.flags[h]!;
  const base = h * T_COUNT;
  // With a backend that reports the queueing events, any job may have reached it: it finds out.
  const scheduled = table.times[base + T.PRIORITY] !== 0 || (reportsQueue && backendRecovers);
  if (table.times[base + T.CLEAN] !== 0) return Resume.INACTIVE;
  if (flags & F.FINISH || (flags & F.FATAL && !(flags & F.START) && !named)) return Resume.ABANDON;
  // Started, named, or (a SCHED job) reached the backend just before its owner died, with an
  // sbatch in flight: the backend finds out, and submits again only what never got there.
  if (named || flags & (F.ALLOC | F.START) || (scheduled && backendRecovers)) return Resume.BACKEND;
  return scheduled ? Resume.SCHEDULE : Resume.DEPEND;
}
