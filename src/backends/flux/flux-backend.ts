/**
 * {@link FluxBackend}: runs jobs in a Flux instance over Flux's own message protocol, on one
 * `local://` connection, with no process and no watch per job.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Backend, BackendCapabilities, BackendHost, JobHandle, RecoverInfo } from '../../core/backend.js';
import type { DependencyKind } from '../../core/types.js';
import type { Jobspec } from '../../jobspec/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { checkBatchSpec, Lazy, processEnvironment } from '../batch/spec.js';
import { FluxJob, Phase } from './flux-job.js';
import { defaultFluxLogDir, type ConnectionErrorListener, type FluxBackendOptions } from './options.js';
import { scanTags } from './tag-scan.js';
import { FluxJobIndex, fluxId, fluxNativeId } from './job-index.js';
import { FluxSession } from './session.js';
import { fluxSubmission, jobPaths, taggedId } from './submission.js';
import {
  Errno,
  EventWatchFlag,
  FluxConnectionError,
  FluxRpcError,
  killJob,
  raiseException,
  setUrgency,
  submitJob,
  watchEventlog,
  type FluxConnection,
  type JournalEntry,
} from './wire/index.js';

/**
 * A {@link Backend} that submits jobs to a Flux instance and follows all of them on one stream.
 *
 * - **Submission**: each job's Jobspec V1 goes as it is (see `submission.ts` for the few things
 *   added) in a `job-ingest.submit` request with its urgency (0 holds it); the jobs of one
 *   `submit` call are written back to back on the socket, and job-ingest commits them together.
 *   `dependsOn`/`dependsOnAny` become Flux `afterok`/`afterany` dependencies (a job waits here
 *   only until its dependencies have Flux ids).
 * - **Events**: one `job-manager.events-journal` stream for every job (see `flux-job.ts` for the
 *   mapping); results and return codes are Flux's (`flux jobs`).
 * - **Control**: `job-manager.raise` (cancel, and the engine's `dependency`), `job-manager.kill`,
 *   `job-manager.urgency`.
 * - **Lost connection**: reconnects with backoff, replays the new journal's backlog and reads the
 *   eventlogs of jobs that ended meanwhile; a submission whose answer was lost is found by the id
 *   it carries (`attributes.user.jobfutures.id`) or sent again if Flux never got it. A job Flux no
 *   longer knows (an instance restarted without its state) ends with a `lost` exception.
 */
export class FluxBackend implements Backend {
  /** `flux`. */
  readonly name = 'flux';
  /** Native `afterok` and `afterany`; follows jobs submitted elsewhere; every event is Flux's, from `submit` on. */
  readonly capabilities: BackendCapabilities = { nativeDependencies: ['afterok', 'afterany'], adopt: true, raisesDependencyExceptions: true, reportsQueueEvents: true };
  /** The absolute folder of default outputs. */
  readonly logDir: string;
  /** The instance's URI. */
  readonly uri: string;

  #host!: BackendHost;
  readonly #session: FluxSession;
  readonly #jobs = new FluxJobIndex();
  /** Jobs ready to be sent when the connection is up. */
  #outbox: JobHandle[] = [];
  #flushQueued = false;
  /** Jobs waiting for a dependency's Flux id. */
  readonly #waitingDeps = new Set<JobHandle>();
  /** Jobs that ended without ever reaching Flux (refused, canceled before being sent). */
  readonly #neverInFlux = new Set<JobHandle>();
  /** Jobs to bring up to date from their eventlog once connected (adopted, recovered, missed while disconnected). */
  readonly #catchUp = new Set<JobHandle>();
  #epoch = 0;
  #scanning = false;
  #logDirMade = false;
  readonly #connectionErrorListeners: ConnectionErrorListener[] = [];
  #lastConnectionError: Error | undefined;

  /** @throws {@link InvalidArgumentError} without a `uri` (and no `FLUX_URI`), or for bad backoff bounds. */
  constructor(opts: FluxBackendOptions = {}) {
    const uri = opts.uri ?? process.env.FLUX_URI;
    if (uri === undefined || uri === '') throw new InvalidArgumentError('uri', 'no Flux instance: give the `uri` option or set FLUX_URI');
    if (!uri.startsWith('local://')) throw new InvalidArgumentError('uri', `only local:// URIs are supported, got '${uri}'`);
    const min = opts.reconnect?.min ?? 100;
    const max = opts.reconnect?.max ?? 5000;
    if (!(min > 0) || !(max >= min)) throw new InvalidArgumentError('reconnect', `needs 0 < min <= max (got min ${min}, max ${max})`);
    this.uri = uri;
    this.logDir = path.resolve(opts.logDir ?? defaultFluxLogDir());
    this.#session = new FluxSession(uri, this.#handler, { min, max });
    this.#session.setReferenced(false);
  }

  /** Connections opened to the broker so far (1 unless it was lost and reopened). */
  get connections(): number {
    return this.#session.connections;
  }

  /** The last failed attempt to reach the broker (undefined once connected again). */
  get lastConnectionError(): Error | undefined {
    return this.#lastConnectionError;
  }

  /** Adds a listener for lost connections and failed reconnections; returns a function that removes it. */
  onConnectionError(listener: ConnectionErrorListener): () => void {
    this.#connectionErrorListeners.push(listener);
    return () => {
      const i = this.#connectionErrorListeners.indexOf(listener);
      if (i >= 0) this.#connectionErrorListeners.splice(i, 1);
    };
  }

  /** Drops the connection as if the broker had gone away (it is reopened with backoff); for tests. */
  dropConnection(): void {
    this.#session.dropConnection();
  }

  bind(host: BackendHost): void {
    this.#host = host;
  }

  check(spec: Jobspec): void {
    checkBatchSpec(spec, 'flux');
  }

  submit(jobs: readonly JobHandle[]): void {
    for (const job of jobs) {
      this.#jobs.add(job, new FluxJob());
      this.#ready(job);
    }
    this.#referenced();
  }

  cancel(job: JobHandle): void {
    const rec = this.#jobs.get(job);
    if (!rec || rec.phase === Phase.READY) {
      this.#forget(job);
      this.#neverInFlux.add(job);
      this.#host.abandoned(job);
      if (this.#waitingDeps.size > 0) this.#failDependants();
      return;
    }
    rec.pendingCancel = true;
    this.#passCancel(job, rec);
  }

  kill(job: JobHandle, signal: NodeJS.Signals): boolean {
    const rec = this.#jobs.get(job);
    const conn = this.#session.connection;
    if (!rec?.running || rec.id === undefined || !conn) return false;
    const signum = osConstants.signals[signal];
    const id = rec.id;
    if (rec.tasksLaunched) {
      killJob(conn, id, signum).catch(() => {});
      return true;
    }
    // Flux's `start` comes before the job shell launches the tasks, and a signal sent before that
    // is lost: wait for the shell's `shell.start` (its exec eventlog, past entries first), then send.
    let sent = false;
    const watch = watchEventlog(
      conn,
      id,
      (e) => {
        if (sent || e.name !== 'shell.start') return;
        sent = true;
        rec.tasksLaunched = true;
        killJob(conn, id, signum).catch(() => {});
        watch.cancel();
      },
      'guest.exec.eventlog',
      EventWatchFlag.WAITCREATE,
    );
    return true;
  }

  setUrgency(job: JobHandle, urgency: number): void {
    const rec = this.#jobs.get(job);
    if (!rec || rec.phase === Phase.READY) return; // sent with the host's urgency
    rec.pendingUrgency = urgency;
    this.#passUrgency(rec);
  }

  outputPaths(job: JobHandle): { stdout: string; stderr: string } {
    const { stdout, stderr } = jobPaths(this.#host.spec(job), this.logDir, this.#host.jobid(job).f58);
    return { stdout, stderr };
  }

  adopt(job: JobHandle, nativeId: string): void {
    this.#follow(job, nativeId);
  }

  recover(job: JobHandle, info: RecoverInfo): void {
    if (info.nativeId !== undefined) {
      this.#follow(job, info.nativeId);
      return;
    }
    // Its owner died before Flux's answer was recorded: Flux may have it (found by its tag) or not.
    const rec = new FluxJob();
    rec.phase = Phase.UNKNOWN;
    this.#jobs.add(job, rec);
    this.#jobs.tag(job, this.#host.jobid(job).f58);
    this.#referenced();
    const conn = this.#session.connection;
    if (conn) this.#scanTags(conn);
    else this.#session.start();
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  // ------------------------------------------------------------ submission

  #ready(job: JobHandle): void {
    const deps = this.#dependencyIds(job);
    if (deps === undefined || deps === 'failed') {
      // (failed: the engine raises `dependency` itself for a job whose dependency already failed)
      this.#waitingDeps.add(job);
      if (deps === 'failed') this.#failDependants();
      return;
    }
    this.#outbox.push(job);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
    }
  }

  /**
   * Flux ids of the job's dependencies; undefined while one has none yet; `failed` when an
   * `afterok` one ended without reaching Flux.
   */
  #dependencyIds(job: JobHandle): { afterok: bigint[]; afterany: bigint[] } | 'failed' | undefined {
    const out = { afterok: [] as bigint[], afterany: [] as bigint[] };
    for (const kind of ['afterok', 'afterany'] as DependencyKind[]) {
      for (const dep of this.#host.dependencies(job, kind)) {
        const native = this.#host.nativeId(dep);
        if (native !== undefined) out[kind].push(fluxId(native));
        else if (!this.#neverInFlux.has(dep)) return undefined;
        else if (kind === 'afterok') return 'failed';
      }
    }
    return out;
  }

  #flush(): void {
    const conn = this.#session.connection;
    if (!conn) {
      if (this.#outbox.length > 0) this.#session.start();
      return;
    }
    const jobs = this.#outbox;
    this.#outbox = [];
    if (!this.#logDirMade && jobs.length > 0) {
      mkdirSync(this.logDir, { recursive: true });
      this.#logDirMade = true;
    }
    const env = new Lazy(processEnvironment);
    for (const job of jobs) {
      const rec = this.#jobs.get(job);
      if (!rec || rec.phase !== Phase.READY) continue;
      const deps = this.#dependencyIds(job);
      if (deps === undefined || deps === 'failed') {
        rec.phase = Phase.READY;
        this.#ready(job);
        continue;
      }
      const f58 = this.#host.jobid(job).f58;
      const body = fluxSubmission(this.#host.spec(job), f58, this.logDir, deps, env);
      rec.phase = Phase.SENDING;
      this.#jobs.tag(job, f58);
      submitJob(conn, body, { urgency: this.#host.urgency(job) }).then(
        (id) => {
          if (this.#jobs.get(job) === rec && rec.id === undefined) this.#claim(job, rec, id);
        },
        (error: Error) => this.#submitFailed(job, rec, error),
      );
    }
  }

  #submitFailed(job: JobHandle, rec: FluxJob, error: Error): void {
    if (this.#jobs.get(job) !== rec || rec.id !== undefined) return;
    if (error instanceof FluxConnectionError) {
      // Flux may or may not have it: found by its tag after reconnecting, else sent again.
      rec.phase = Phase.UNKNOWN;
      return;
    }
    const message = error instanceof FluxRpcError ? (error.errstr ?? error.message) : error.message;
    this.#forget(job);
    this.#neverInFlux.add(job);
    this.#host.exception(job, /dependenc/i.test(message) ? 'dependency' : 'submit', 0, `flux refused the job: ${message}`);
    this.#host.abandoned(job);
    this.#failDependants();
  }

  /**
   * Jobs waiting for a dependency's Flux id when a dependency will never get one (it ended
   * without reaching Flux): Flux cannot raise their `dependency` exception, so it is raised here
   * for `afterok`; an `afterany` dependency is met (it ended).
   */
  #failDependants(): void {
    for (const job of [...this.#waitingDeps]) {
      const deps = this.#dependencyIds(job);
      if (deps === undefined) continue;
      this.#waitingDeps.delete(job);
      if (deps === 'failed') {
        this.#forget(job);
        this.#host.exception(job, 'dependency', 0, 'a dependency ended without reaching Flux');
        this.#host.abandoned(job);
      } else this.#ready(job);
    }
  }

  /** The job is in Flux under `id`. */
  #claim(job: JobHandle, rec: FluxJob, id: bigint): void {
    this.#jobs.named(job, rec, id, this.#host.jobid(job).f58);
    this.#host.setNativeId(job, fluxNativeId(id));
    if (rec.pendingCancel) this.#passCancel(job, rec);
    if (rec.pendingUrgency !== undefined) this.#passUrgency(rec);
    if (this.#waitingDeps.size > 0) this.#failDependants();
  }

  #passCancel(job: JobHandle, rec: FluxJob): void {
    const conn = this.#session.connection;
    if (rec.id === undefined || !conn) return; // on claim, or after reconnecting
    rec.pendingCancel = false;
    const ex = this.#host.fatalException?.(job) ?? { type: 'cancel', note: '' };
    rec.echoes.push(ex.type);
    raiseException(conn, rec.id, ex.type, 0, ex.note).catch((error: unknown) => {
      if (error instanceof FluxConnectionError) rec.pendingCancel = true;
      // else: already inactive in Flux (its clean is on the way)
    });
  }

  #passUrgency(rec: FluxJob): void {
    const conn = this.#session.connection;
    if (rec.id === undefined || !conn || rec.pendingUrgency === undefined) return;
    const urgency = rec.pendingUrgency;
    rec.pendingUrgency = undefined;
    setUrgency(conn, rec.id, urgency).catch((error: unknown) => {
      if (error instanceof FluxConnectionError) rec.pendingUrgency ??= urgency;
    });
  }

  // ------------------------------------------------------------ following

  /** Follows a job Flux has under `nativeId` (any RFC 19 form): its past eventlog, then the journal. */
  #follow(job: JobHandle, nativeId: string): void {
    const rec = new FluxJob();
    rec.id = fluxId(nativeId);
    rec.phase = Phase.IN_FLUX;
    this.#jobs.add(job, rec);
    this.#catchUp.add(job);
    this.#referenced();
    const conn = this.#session.connection;
    if (conn) this.#readPast(conn, job, rec);
    else this.#session.start();
  }

  /**
   * Brings a job the journal's backlog did not show up to date: follows its eventlog with
   * `job-info.eventlog-watch`, past entries first, until its `clean` (journal entries for it are
   * ignored meanwhile). Used only for jobs attached while connected, taken over, or that ended
   * while the connection was down; the watch of an inactive job ends at once.
   */
  #readPast(conn: FluxConnection, job: JobHandle, rec: FluxJob): void {
    if (rec.watching) return;
    rec.watching = true;
    const stream = watchEventlog(conn, rec.id!, (e) => {
      if (this.#jobs.get(job) === rec) this.#apply(job, rec, e);
    });
    stream.done.then(
      () => {
        rec.watching = false;
        this.#catchUp.delete(job);
      },
      (error: unknown) => {
        rec.watching = false;
        if (this.#jobs.get(job) !== rec || error instanceof FluxConnectionError) return; // again after reconnecting
        this.#catchUp.delete(job);
        this.#forget(job);
        const why = error instanceof FluxRpcError && error.errnum === Errno.ENOENT ? 'Flux does not know it (the instance was restarted without its state?)' : (error as Error).message;
        this.#host.exception(job, 'lost', 0, `flux job ${fluxNativeId(rec.id!)}: ${why}`);
        this.#host.abandoned(job);
      },
    );
  }

  #apply(job: JobHandle, rec: FluxJob, e: JournalEntry['events'][number]): boolean {
    if (!rec.apply(this.#host, job, e)) return false;
    this.#forget(job);
    return true;
  }

  #entry(entry: JournalEntry, backlog: boolean): void {
    let followers = this.#jobs.byId(entry.id);
    if (followers.length === 0 && entry.jobspec) {
      // A submission whose answer has not come (or was lost): its submit event names it.
      const tagged = this.#jobs.byTag(taggedId(entry.jobspec));
      if (tagged === undefined) return;
      this.#claim(tagged, this.#jobs.get(tagged)!, entry.id);
      followers = [tagged];
    }
    for (const job of followers) {
      const rec = this.#jobs.get(job);
      if (rec) this.#deliver(job, rec, entry, backlog);
    }
  }

  #deliver(job: JobHandle, rec: FluxJob, entry: JournalEntry, backlog: boolean): void {
    if (backlog) rec.epoch = this.#epoch;
    if (rec.watching) return; // its eventlog watch delivers everything
    for (const e of entry.events) if (this.#apply(job, rec, e)) return;
  }

  /**
   * One pass over every job Flux knows (a `full` journal backlog, submit events only) to find the
   * jobs whose submission may or may not have reached Flux; those not found are sent again.
   */
  #scanTags(conn: FluxConnection): void {
    if (this.#scanning) return;
    this.#scanning = true;
    scanTags(
      conn,
      (tag, id) => {
        const job = this.#jobs.byTag(tag);
        const rec = job === undefined ? undefined : this.#jobs.get(job);
        if (job === undefined || !rec || rec.phase !== Phase.UNKNOWN) return;
        this.#claim(job, rec, id);
        this.#catchUp.add(job);
        this.#readPast(conn, job, rec);
      },
      (complete) => {
        this.#scanning = false;
        if (!complete) return; // the connection was lost: scanned again after reconnecting
        for (const [job, rec] of this.#jobs.entries()) {
          if (rec.phase !== Phase.UNKNOWN) continue;
          rec.phase = Phase.READY;
          this.#ready(job);
        }
      },
    );
  }

  // ------------------------------------------------------------ connection

  readonly #handler = {
    connected: (_conn: FluxConnection, reconnect: boolean): boolean => {
      this.#epoch++;
      if (reconnect) {
        for (const [, rec] of this.#jobs.entries()) if (rec.phase === Phase.SENDING) rec.phase = Phase.UNKNOWN;
      }
      return false;
    },
    entry: (entry: JournalEntry, backlog: boolean): void => this.#entry(entry, backlog),
    backlogEnd: (conn: FluxConnection): void => {
      this.#lastConnectionError = undefined;
      const epoch = this.#epoch;
      for (const [job, rec] of this.#jobs.entries()) {
        if (rec.phase !== Phase.IN_FLUX) continue;
        // Jobs that ended while the connection was down are not in the backlog: read their eventlogs.
        if (rec.epoch === epoch) this.#catchUp.delete(job); // the backlog carried its whole eventlog
        else this.#readPast(conn, job, rec);
        if (rec.pendingCancel) this.#passCancel(job, rec);
        if (rec.pendingUrgency !== undefined) this.#passUrgency(rec);
      }
      if (this.#jobs.some(Phase.UNKNOWN)) this.#scanTags(conn);
      this.#flush();
    },
    connectionError: (error: Error, attempt: number): void => {
      this.#lastConnectionError = error;
      for (const l of this.#connectionErrorListeners.slice()) l(error, attempt);
    },
  };

  #forget(job: JobHandle): void {
    this.#jobs.remove(job, this.#host.jobid(job).f58);
    this.#waitingDeps.delete(job);
    this.#catchUp.delete(job);
    this.#referenced();
  }

  /** Keeps the process alive while jobs are followed. */
  #referenced(): void {
    this.#session.setReferenced(this.#jobs.size > 0);
    if (this.#jobs.size > 0) this.#session.start();
  }
}
