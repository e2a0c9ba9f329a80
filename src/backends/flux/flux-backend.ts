/**
 * {@link FluxBackend}: runs jobs in a Flux instance over Flux's own message protocol, on one
 * `local://` connection, with no process and no watch per job.
 *
 * @module
 */
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Backend, BackendCapabilities, BackendHost, JobHandle, RecoverInfo } from '../../core/backend.js';
import type { Jobspec } from '../../jobspec/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { checkBatchSpec } from '../batch/spec.js';
import type { FluxBackendParts } from './backend-parts.js';
import { FluxJob, Phase } from './flux-job.js';
import { FluxSubmitter } from './flux-submitter.js';
import { FluxJobIndex, fluxNativeId } from './job-index.js';
import { JournalFollower } from './journal-follower.js';
import { defaultFluxLogDir, type ConnectionErrorListener, type FluxBackendOptions } from './options.js';
import { FluxSession } from './session.js';
import { jobPaths } from './submission.js';
import { EventWatchFlag, FluxConnectionError, killJob, raiseException, setUrgency, watchEventlog, type FluxConnection, type JournalEntry } from './wire/index.js';

/**
 * A {@link Backend} that submits jobs to a Flux instance and follows all of them on one stream.
 *
 * - **Submission** (`flux-submitter.ts`): each job's Jobspec V1 goes as it is (see `submission.ts` for the few things
 *   added) in a `job-ingest.submit` request with its urgency (0 holds it); the jobs of one
 *   `submit` call are written back to back on the socket, and job-ingest commits them together.
 *   `dependsOn`/`dependsOnAny` become Flux `afterok`/`afterany` dependencies (a job waits here
 *   only until its dependencies have Flux ids).
 * - **Events** (`journal-follower.ts`): one `job-manager.events-journal` stream for every job (see
 *   `flux-job.ts` for the mapping); results and return codes are Flux's (`flux jobs`).
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
  readonly #submitter: FluxSubmitter;
  readonly #follower: JournalFollower;
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
    const host = (): BackendHost => this.#host;
    const parts: FluxBackendParts = {
      get host() {
        return host();
      },
      session: this.#session,
      jobs: this.#jobs,
      claim: (job, rec, id) => this.#claim(job, rec, id),
      forget: (job) => this.#forget(job),
      referenced: () => this.#referenced(),
    };
    this.#submitter = new FluxSubmitter(parts, this.logDir);
    this.#follower = new JournalFollower(parts, this.#submitter);
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
      this.#submitter.ready(job);
    }
    this.#referenced();
  }

  cancel(job: JobHandle): void {
    const rec = this.#jobs.get(job);
    if (!rec || rec.phase === Phase.READY) {
      this.#forget(job);
      this.#submitter.neverSent(job);
      this.#host.abandoned(job);
      this.#submitter.settleWaiting();
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
    this.#follower.follow(job, nativeId);
  }

  recover(job: JobHandle, info: RecoverInfo): void {
    if (info.nativeId !== undefined) this.#follower.follow(job, info.nativeId);
    else this.#follower.recoverUnnamed(job);
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  // ------------------------------------------------------------ Flux's side of control

  /** The job is in Flux under `id`. */
  #claim(job: JobHandle, rec: FluxJob, id: bigint): void {
    this.#jobs.named(job, rec, id, this.#host.jobid(job).f58);
    this.#host.setNativeId(job, fluxNativeId(id));
    if (rec.pendingCancel) this.#passCancel(job, rec);
    if (rec.pendingUrgency !== undefined) this.#passUrgency(rec);
    this.#submitter.settleWaiting();
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

  // ------------------------------------------------------------ connection

  readonly #handler = {
    connected: (_conn: FluxConnection, reconnect: boolean): boolean => {
      this.#follower.connected(reconnect);
      return false;
    },
    entry: (entry: JournalEntry, backlog: boolean): void => this.#follower.entry(entry, backlog),
    backlogEnd: (conn: FluxConnection): void => {
      this.#lastConnectionError = undefined;
      this.#follower.backlogEnd(conn, (job, rec) => {
        if (rec.pendingCancel) this.#passCancel(job, rec);
        if (rec.pendingUrgency !== undefined) this.#passUrgency(rec);
      });
      this.#submitter.flush();
    },
    connectionError: (error: Error, attempt: number): void => {
      this.#lastConnectionError = error;
      for (const l of this.#connectionErrorListeners.slice()) l(error, attempt);
    },
  };

  #forget(job: JobHandle): void {
    this.#jobs.remove(job, this.#host.jobid(job).f58);
    this.#submitter.forget(job);
    this.#follower.forget(job);
    this.#referenced();
  }

  /** Keeps the process alive while jobs are followed. */
  #referenced(): void {
    this.#session.setReferenced(this.#jobs.size > 0);
    if (this.#jobs.size > 0) this.#session.start();
  }
}
