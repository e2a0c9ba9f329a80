import type { JobEvent } from '../core/types.js';

/**
 * What a backend that reports its engine's own queueing events (`reportsQueueEvents`, Flux) told
 * of one job beyond the job table's timestamps: the time of its `validate` (the table keeps one
 * time for `submit` and `validate`) and the contexts of its `submit`, first `priority` and
 * `alloc`, which are its engine's, not the standard ones. Kept only for such a backend's jobs.
 */
export interface QueueLog {
  validate?: number;
  submit?: Readonly<Record<string, unknown>>;
  priority?: Readonly<Record<string, unknown>>;
  alloc?: Readonly<Record<string, unknown>>;
}

/** The {@link QueueLog} of a job read back from a store (its recorded events are the backend's). */
export function queueLogOf(events: readonly JobEvent[]): QueueLog {
  const log: QueueLog = {};
  for (const ev of events) {
    switch (ev.name) {
      case 'submit':
        if (ev.context) log.submit = ev.context;
        break;
      case 'validate':
        log.validate = ev.timestamp;
        break;
      case 'priority':
        if (ev.context && !log.priority) log.priority = ev.context;
        break;
      case 'alloc':
        if (ev.context) log.alloc = ev.context;
        break;
      default:
        break;
    }
  }
  return log;
}
