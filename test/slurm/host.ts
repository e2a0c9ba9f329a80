/**
 * A small recording {@link BackendHost} for driving a backend without the engine, and a
 * {@link PollDriver} that calls `poll` the way the engine's loop does (min interval after a
 * submit, doubling to max while nothing changes, backing off on failures).
 */
import type { Backend, BackendHost, JobHandle } from '../../src/core/backend.js';
import { FluidGenerator, type JobID } from '../../src/ids/index.js';
import type { Jobspec } from '../../src/jobspec/index.js';

/** One call the backend made on the host. */
export interface HostCall {
  readonly job: JobHandle;
  readonly name: 'alloc' | 'started' | 'finished' | 'exception' | 'abandoned' | 'requeued' | 'setNativeId';
  readonly args: readonly unknown[];
  /** Date.now() when it was made. */
  readonly at: number;
}

type State = 'SCHED' | 'RUN' | 'CLEANUP' | 'INACTIVE';

/** Records every call and keeps just enough state to know which jobs are active. */
export class RecordingHost implements BackendHost {
  readonly calls: HostCall[] = [];
  readonly #specs: Jobspec[] = [];
  readonly #ids: JobID[] = [];
  readonly #urgency: number[] = [];
  readonly #deps: JobHandle[][] = [];
  readonly #native: (string | undefined)[] = [];
  readonly #state: State[] = [];
  readonly #status: (number | undefined)[] = [];
  readonly #fatal: ({ type: string; note: string } | undefined)[] = [];
  readonly #gen = new FluidGenerator();
  readonly #waiters = new Set<() => void>();
  /** Handed to the backend and not inactive yet. */
  readonly active = new Set<JobHandle>();

  /** Registers a job (not yet handed to a backend). */
  add(spec: Jobspec, opts: { urgency?: number; dependsOn?: JobHandle[] } = {}): JobHandle {
    const job = this.#specs.length;
    this.#specs.push(spec);
    this.#ids.push(this.#gen.next());
    this.#urgency.push(opts.urgency ?? 16);
    this.#deps.push(opts.dependsOn ?? []);
    this.#native.push(undefined);
    this.#state.push('SCHED');
    this.#status.push(undefined);
    this.#fatal.push(undefined);
    return job;
  }

  /** Adds jobs and submits them to `backend` in one call. */
  submit(backend: Backend, specs: readonly Jobspec[], opts: { urgency?: number; dependsOn?: JobHandle[] } = {}): JobHandle[] {
    const jobs = specs.map((s) => this.add(s, opts));
    for (const j of jobs) this.active.add(j);
    backend.submit(jobs);
    return jobs;
  }

  /** As the engine's cancel: raise `cancel`, then ask the backend. */
  cancel(backend: Backend, job: JobHandle): void {
    if (this.#state[job] === 'INACTIVE' || this.#fatal[job]) return;
    this.exception(job, 'cancel', 0, 'canceled');
    backend.cancel(job);
  }

  /** As the engine's urgency change. */
  setUrgency(backend: Backend, job: JobHandle, urgency: number): void {
    this.#urgency[job] = urgency;
    backend.setUrgency(job, urgency);
  }

  /** Job state as the engine would see it. */
  state(job: JobHandle): State {
    return this.#state[job]!;
  }

  /** Wait status reported by `finished`. */
  status(job: JobHandle): number | undefined {
    return this.#status[job];
  }

  /** The fatal exception, if any. */
  fatal(job: JobHandle): { type: string; note: string } | undefined {
    return this.#fatal[job];
  }

  /** Names of the calls made for `job`, in order (`exception:<type>` for exceptions). */
  trace(job: JobHandle): string[] {
    return this.calls.filter((c) => c.job === job && c.name !== 'setNativeId').map((c) => (c.name === 'exception' ? `exception:${String(c.args[0])}` : c.name));
  }

  /** Resolves once every job in `jobs` is inactive; rejects after `timeoutMs`. */
  async waitInactive(jobs: readonly JobHandle[], timeoutMs: number): Promise<void> {
    return this.waitUntil(() => jobs.every((j) => this.#state[j] === 'INACTIVE'), timeoutMs, () => {
      const left = jobs.filter((j) => this.#state[j] !== 'INACTIVE');
      return `${left.length} job(s) still active, e.g. ${left.slice(0, 3).map((j) => `${j}:${this.#state[j]}:${this.#native[j]}:[${this.trace(j).join(',')}]`).join(' ')}`;
    });
  }

  /** Resolves once `cond()` holds (checked after every host call and every 100 ms). */
  waitUntil(cond: () => boolean, timeoutMs: number, describe: () => string = () => 'condition'): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      const tick = setInterval(check, 100);
      const done = () => {
        clearTimeout(timer);
        clearInterval(tick);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  // ---------------------------------------------------------------- BackendHost

  spec(job: JobHandle): Jobspec {
    return this.#specs[job]!;
  }
  jobid(job: JobHandle): JobID {
    return this.#ids[job]!;
  }
  urgency(job: JobHandle): number {
    return this.#urgency[job]!;
  }
  dependencies(job: JobHandle): readonly JobHandle[] {
    return this.#deps[job]!;
  }
  nativeId(job: JobHandle): string | undefined {
    return this.#native[job];
  }
  setNativeId(job: JobHandle, nativeId: string): void {
    this.#native[job] = nativeId;
    this.#record(job, 'setNativeId', [nativeId]);
  }
  alloc(job: JobHandle, context?: Record<string, unknown>): void {
    this.#record(job, 'alloc', [context]);
  }
  started(job: JobHandle): void {
    if (this.#state[job] === 'SCHED') this.#state[job] = 'RUN';
    this.#record(job, 'started', []);
  }
  finished(job: JobHandle, waitstatus: number): void {
    this.#status[job] = waitstatus;
    this.#end(job);
    this.#record(job, 'finished', [waitstatus]);
  }
  exception(job: JobHandle, type: string, severity: number, note: string): void {
    if (severity === 0 && !this.#fatal[job]) {
      this.#fatal[job] = { type, note };
      if (this.#state[job] === 'SCHED') this.#state[job] = 'CLEANUP';
    }
    this.#record(job, 'exception', [type, severity, note]);
  }
  abandoned(job: JobHandle): void {
    this.#end(job);
    this.#record(job, 'abandoned', []);
  }
  requeued(job: JobHandle): void {
    if (this.#state[job] === 'RUN') this.#state[job] = 'SCHED';
    this.#record(job, 'requeued', []);
  }

  #end(job: JobHandle): void {
    this.#state[job] = 'INACTIVE';
    this.active.delete(job);
  }

  #record(job: JobHandle, name: HostCall['name'], args: unknown[]): void {
    this.calls.push({ job, name, args, at: Date.now() });
    for (const w of [...this.#waiters]) w();
  }
}

/** Calls `backend.poll(active)` in a loop like the engine: adaptive interval, backoff on failure. */
export class PollDriver {
  polls = 0;
  failures = 0;
  lastError: unknown;
  #interval: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly host: RecordingHost,
  ) {
    this.#interval = backend.pollInterval?.min ?? 250;
    this.#arm(this.#interval);
  }

  /** Poll soon and fast again (after a submit). */
  kick(): void {
    this.#interval = this.backend.pollInterval?.min ?? 250;
    if (!this.#running) this.#arm(this.#interval);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => (this.#running = this.#tick()), ms);
  }

  async #tick(): Promise<void> {
    const bounds = this.backend.pollInterval ?? { min: 250, max: 5000 };
    if (this.host.active.size > 0) {
      try {
        this.polls++;
        const changed = await this.backend.poll!([...this.host.active]);
        this.#interval = changed ? bounds.min : Math.min(this.#interval * 2, bounds.max);
      } catch (error) {
        this.failures++;
        this.lastError = error;
        this.#interval = Math.min(this.#interval * 2, bounds.max);
      }
    } else {
      this.#interval = bounds.min;
    }
    this.#running = undefined;
    this.#arm(this.#interval);
  }
}
