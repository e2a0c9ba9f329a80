import type { JobRef, Reactor, ReactorJournal } from '../reactor/reactor.js';
import { E } from '../reactor/events.js';
import { DEPENDENCY_KINDS } from '../core/lifecycle.js';
import type { JobEventInput, JobStore, Owner } from '../store/index.js';
import { enqueue } from './enqueue.js';

/**
 * Records a reactor's jobs and events in a {@link JobStore} as they happen. A job row is written
 * (synchronously) before the backend sees the job; events are buffered and written in one
 * transaction per turn of the event loop, except that an `alloc` (and anything before it) is
 * written at once, so a job's start is on disk before its process is spawned.
 */
export class StoreJournal implements ReactorJournal {
  private reactor!: Reactor;
  private pending: JobEventInput[] = [];
  private scheduled = false;

  constructor(
    private readonly store: JobStore,
    private readonly backendName: string,
    private readonly owner: Owner,
    private readonly logDir: () => string | undefined,
  ) {}

  /** Connects the journal to its reactor (the reactor takes the journal in its constructor). */
  bind(reactor: Reactor): void {
    this.reactor = reactor;
  }

  created(job: JobRef): void {
    const reactor = this.reactor;
    this.flush();
    const logDir = this.logDir();
    enqueue(this.store, [
      {
        jobid: reactor.jobid(job),
        spec: reactor.spec(job),
        backend: this.backendName,
        urgency: reactor.urgency(job),
        dependencies: DEPENDENCY_KINDS.flatMap((kind) => reactor.dependencies(job, kind).map((d) => ({ jobid: reactor.jobid(d), kind }))),
        owner: this.owner,
        ...(logDir !== undefined && { logDir }),
      },
    ]);
  }

  event(job: JobRef, code: number, timestamp: number, context: Readonly<Record<string, unknown>> | undefined): void {
    const ev = this.reactor.toEvent(job, code, timestamp, context);
    this.pending.push({ jobid: this.reactor.jobid(job), name: ev.name, timestamp, ...(ev.context && { context: ev.context }) });
    if (code === E.ALLOC) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  nativeId(job: JobRef, nativeId: string): void {
    this.flush();
    this.store.setNativeId(this.reactor.jobid(job), nativeId);
  }

  /** Writes the buffered events now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.store.appendEvents(batch);
  }

  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
