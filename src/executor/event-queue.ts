import type { JobID } from '../ids/index.js';
import type { JobRef, Reactor } from '../reactor/reactor.js';
import type { EventContext } from '../reactor/event-batch.js';
import { E } from '../reactor/events.js';
import type { JobEvent } from '../core/types.js';

/** One event of one job, as {@link JobExecutor.watch} yields it. */
export interface JobEventRecord {
  readonly jobid: JobID;
  readonly event: JobEvent;
}

const INITIAL_CAPACITY = 1024;

/**
 * The queue behind {@link JobExecutor.watch}: raw events (job, code, time, context) are buffered in
 * typed arrays as the engine delivers them and become {@link JobEventRecord}s only when the consumer
 * pulls them, so a consumer that falls behind a large fan-out holds a few bytes per event rather
 * than three objects. Consecutive records of one job share its {@link JobID} object.
 * @internal
 */
export class EventRecordQueue implements AsyncIterator<JobEventRecord>, AsyncIterable<JobEventRecord> {
  private jobs = new Int32Array(INITIAL_CAPACITY);
  private codes = new Uint8Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private contexts: EventContext[] = [];
  private head = 0;
  private tail = 0;
  private waiter: ((r: IteratorResult<JobEventRecord>) => void) | undefined;
  private ended = false;
  private lastJob = -1;
  private lastJobid: JobID | undefined;
  /** Called once when iteration stops (end or early return). */
  onReturn: (() => void) | undefined;

  constructor(private readonly reactor: Reactor) {}

  /** Adds an event. Ignored after {@link end}. */
  push(job: JobRef, code: number, t: number, context: EventContext): void {
    if (this.ended) return;
    // Standard contexts are rebuilt when pulled, from facts that do not change, except priority's.
    if (context === undefined && code === E.PRIORITY) context = this.reactor.toEvent(job, code, t, undefined).context;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: this.record(job, code, t, context), done: false });
      return;
    }
    if (this.tail === this.jobs.length) this.makeRoom();
    const at = this.tail;
    this.jobs[at] = job;
    this.codes[at] = code;
    this.times[at] = t;
    if (context !== undefined || this.contexts.length > at) this.contexts[at] = context;
    this.tail = at + 1;
  }

  /** Ends the queue: the consumer gets the buffered events, then the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    if (this.waiter && this.head === this.tail) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<JobEventRecord>> {
    const i = this.head;
    if (i < this.tail) {
      const context = i < this.contexts.length ? this.contexts[i] : undefined;
      const value = this.record(this.jobs[i]!, this.codes[i]!, this.times[i]!, context);
      this.head = i + 1;
      if (this.head === this.tail) this.head = this.tail = this.contexts.length = 0;
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<JobEventRecord>> {
    this.ended = true;
    this.head = this.tail = this.contexts.length = 0;
    this.stop();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<JobEventRecord> {
    return this;
  }

  private record(job: JobRef, code: number, t: number, context: EventContext): JobEventRecord {
    if (job !== this.lastJob) {
      this.lastJob = job;
      this.lastJobid = this.reactor.jobid(job);
    }
    return { jobid: this.lastJobid!, event: this.reactor.toEvent(job, code, t, context) };
  }

  /** Drops the consumed part, or doubles the arrays when more than half is unconsumed. */
  private makeRoom(): void {
    const live = this.tail - this.head;
    if (this.head > 0 && live * 2 <= this.jobs.length) {
      this.jobs.copyWithin(0, this.head, this.tail);
      this.codes.copyWithin(0, this.head, this.tail);
      this.times.copyWithin(0, this.head, this.tail);
      if (this.contexts.length > this.head) this.contexts = this.contexts.slice(this.head, this.tail);
      else this.contexts.length = 0;
    } else {
      const capacity = this.jobs.length * 2;
      this.jobs = grown(this.jobs, new Int32Array(capacity), this.head, this.tail);
      this.codes = grown(this.codes, new Uint8Array(capacity), this.head, this.tail);
      this.times = grown(this.times, new Float64Array(capacity), this.head, this.tail);
      this.contexts = this.contexts.length > this.head ? this.contexts.slice(this.head, this.tail) : [];
    }
    this.tail = live;
    this.head = 0;
  }

  private stop(): void {
    const cb = this.onReturn;
    this.onReturn = undefined;
    cb?.();
  }
}

function grown<A extends Int32Array | Uint8Array | Float64Array>(old: A, next: A, from: number, to: number): A {
  next.set(old.subarray(from, to));
  return next;
}
