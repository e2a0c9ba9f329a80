import type { JobID } from '../ids/index.js';
import type { JobEventName } from '../core/types.js';
import { E, EVENT_NAMES } from './events.js';
import type { EventContext, EventSink } from './event-batch.js';
import { F, type JobRef, JobTable } from './job-table.js';

/** The global event listener: positional arguments, no event object per event. */
export type ReactorEventListener = (jobid: JobID, name: JobEventName, timestamp: number, context: EventContext) => void;

/** Raw listener over handles, for the executor. @internal */
export type RawEventListener = (job: JobRef, code: number, timestamp: number, context: EventContext) => void;

/**
 * Internal per-job observer (the executor's futures, `resultAsync`, `eventWatchAsync`). One object
 * per watched job, no closures: events of watched jobs are delivered in the reactor's batches.
 * @internal
 */
export interface JobWatcher {
  /** Called for each event of the job when the watcher asked for events. */
  onJobEvent?(job: JobRef, code: number, timestamp: number, context: EventContext): void;
  /** Called once when the job became inactive. */
  onJobInactive?(job: JobRef): void;
}

/** What delivery needs from the engine: a job's id, and the context of a standard event rebuilt from the table. */
export interface EventNaming {
  jobid(job: JobRef): JobID;
  contextOf(job: JobRef, code: number): EventContext;
}

/**
 * Everyone who listens to one engine's events: global listeners (by JobID and event name), raw
 * listeners (by JobRef and code) and per-job watchers. Delivers each flushed event to them.
 *
 * Watching a job sets its {@link F.WATCHED} / {@link F.NOTIFY} flags, so that the engine records
 * into the batch only events somebody will receive.
 */
export class Subscribers implements EventSink {
  /** Whether any global or raw listener exists (every event must then be batched). */
  listening = false;
  private readonly listeners: ReactorEventListener[] = [];
  private readonly rawListeners: RawEventListener[] = [];
  /** Per-job watchers, indexed by JobRef (dense when every job is watched, as under the executor). */
  private readonly watchers: (JobWatcher | JobWatcher[] | undefined)[] = [];
  /** Watchers started while some of the job's events were still in the batch skip those (they got them as "past"). */
  private readonly pendingSkip = new Map<JobWatcher, number>();

  constructor(
    private readonly table: JobTable,
    private readonly naming: EventNaming,
  ) {}

  /** Adds a global listener; returns a function that removes it. */
  onEvent(listener: ReactorEventListener): () => void {
    return this.add(this.listeners, listener);
  }

  /** Adds a raw listener; returns a function that removes it. */
  onRawEvent(listener: RawEventListener): () => void {
    return this.add(this.rawListeners, listener);
  }

  /** Registers a per-job watcher; `events` asks for every event, else only inactivity. */
  watch(job: JobRef, watcher: JobWatcher, events: boolean): void {
    const existing = this.watchers[job];
    if (!existing) this.watchers[job] = watcher;
    else if (Array.isArray(existing)) existing.push(watcher);
    else this.watchers[job] = [existing, watcher];
    this.table.flags[job]! |= events ? F.WATCHED | F.NOTIFY : F.NOTIFY;
  }

  /** Removes a per-job watcher. */
  unwatch(job: JobRef, watcher: JobWatcher): void {
    const existing = this.watchers[job];
    if (existing === watcher) this.watchers[job] = undefined;
    else if (Array.isArray(existing)) {
      const i = existing.indexOf(watcher);
      if (i >= 0) existing.splice(i, 1);
      if (existing.length === 0) this.watchers[job] = undefined;
    }
  }

  /** The watcher will not be given the job's next `count` events (it already has them). */
  skip(watcher: JobWatcher, count: number): void {
    this.pendingSkip.set(watcher, count);
  }

  /** Delivers one event to the raw listeners, the global listeners and the job's watchers. */
  deliver(job: JobRef, code: number, t: number, context: EventContext): void {
    if (this.listening) this.deliverToListeners(job, code, t, context);
    const flags = this.table.flags[job]!;
    if (flags & (F.WATCHED | F.NOTIFY)) this.deliverToWatchers(job, code, t, context, flags);
  }

  private deliverToListeners(job: JobRef, code: number, t: number, context: EventContext): void {
    if (this.rawListeners.length > 0) for (const l of this.rawListeners) l(job, code, t, context);
    if (this.listeners.length > 0) {
      const id = this.naming.jobid(job);
      const full = context ?? this.naming.contextOf(job, code);
      for (const l of this.listeners) l(id, EVENT_NAMES[code]!, t, full);
    }
  }

  private deliverToWatchers(job: JobRef, code: number, t: number, context: EventContext, flags: number): void {
    const w = this.watchers[job];
    if (!w) return;
    if (code === E.CLEAN) this.watchers[job] = undefined;
    if (!Array.isArray(w)) {
      this.deliverTo(w, job, code, t, context, flags);
      return;
    }
    for (const watcher of w.slice()) this.deliverTo(watcher, job, code, t, context, flags);
  }

  private deliverTo(watcher: JobWatcher, job: JobRef, code: number, t: number, context: EventContext, flags: number): void {
    if (flags & F.WATCHED && watcher.onJobEvent) {
      const skip = this.pendingSkip.size > 0 ? this.pendingSkip.get(watcher) : undefined;
      if (skip !== undefined && skip > 0) this.pendingSkip.set(watcher, skip - 1);
      else watcher.onJobEvent(job, code, t, context ?? this.naming.contextOf(job, code));
    }
    if (code === E.CLEAN) {
      if (this.pendingSkip.size > 0) this.pendingSkip.delete(watcher);
      watcher.onJobInactive?.(job);
    }
  }

  private add<L>(list: L[], listener: L): () => void {
    list.push(listener);
    this.listening = true;
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
      this.listening = this.listeners.length > 0 || this.rawListeners.length > 0;
    };
  }
}
