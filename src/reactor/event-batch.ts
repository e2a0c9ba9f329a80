import type { JobRef } from './job-table.js';

/** The context of an event as recorded: undefined for a standard event (rebuilt from the job table on demand). */
export type EventContext = Readonly<Record<string, unknown>> | undefined;

/** Where a flushed batch goes: one call per event, in the order they were recorded. */
export interface EventSink {
  deliver(job: JobRef, code: number, timestamp: number, context: EventContext): void;
}

const INITIAL_CAPACITY = 1024;
/** A batch this large is delivered at once rather than at the end of the current task. */
const FLUSH_THRESHOLD = 1 << 16;

/**
 * The events waiting to be delivered, in struct-of-arrays form (no object per event): recorded
 * synchronously, delivered together in a microtask, or at once when the batch gets large.
 *
 * Events recorded while a batch is being delivered join that same delivery.
 */
export class EventBatch {
  /** Number of events in the batch. */
  length = 0;
  private job = new Int32Array(INITIAL_CAPACITY);
  private code = new Uint8Array(INITIAL_CAPACITY);
  private time = new Float64Array(INITIAL_CAPACITY);
  private context: EventContext[] = [];
  private scheduled = false;
  private flushing = false;

  /**
   * @param sink - Receives each event when the batch is flushed.
   * @param onFlushed - Called after each flush (also of an empty batch).
   */
  constructor(
    private readonly sink: EventSink,
    private readonly onFlushed: () => void,
  ) {}

  /** Appends an event; delivers the batch at once if it is full, else makes sure it will be. */
  push(job: JobRef, code: number, t: number, context: EventContext): void {
    const i = this.length;
    if (i === this.job.length) this.grow(i * 2);
    this.job[i] = job;
    this.code[i] = code;
    this.time[i] = t;
    this.context[i] = context;
    this.length = i + 1;
    if (this.length >= FLUSH_THRESHOLD && !this.flushing) this.flush();
    else this.schedule();
  }

  /** Makes sure a flush runs in a microtask (once, however often it is asked). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flushTask);
  }

  /** Delivers every batched event to the sink, then calls `onFlushed`. A no-op while a flush is running. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      // `length` and the arrays are read anew each time: deliveries may record (and grow) more.
      for (let i = 0; i < this.length; i++) {
        const context = this.context[i];
        this.context[i] = undefined;
        this.sink.deliver(this.job[i]!, this.code[i]!, this.time[i]!, context);
      }
    } finally {
      this.length = 0;
      this.flushing = false;
    }
    this.onFlushed();
  }

  /** How many of the batched events are the job's. */
  countOf(job: JobRef): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.job[i] === job) n++;
    return n;
  }

  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private grow(capacity: number): void {
    const job = new Int32Array(capacity);
    job.set(this.job);
    this.job = job;
    const code = new Uint8Array(capacity);
    code.set(this.code);
    this.code = code;
    const time = new Float64Array(capacity);
    time.set(this.time);
    this.time = time;
  }
}
