/**
 * The Flux backend's way in: jobs wait here until the connection is up and their dependencies
 * have Flux ids, then go to `job-ingest.submit`, the jobs of one turn written back to back on the
 * socket; a refused submission ends its job, and jobs that depended on a job that never reached
 * Flux are settled here (Flux cannot).
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import type { JobHandle } from '../../core/backend.js';
import type { DependencyKind } from '../../core/types.js';
import { Lazy, processEnvironment } from '../batch/spec.js';
import type { FluxBackendParts } from './backend-parts.js';
import { type FluxJob, Phase } from './flux-job.js';
import { fluxId } from './job-index.js';
import { fluxSubmission } from './submission.js';
import { FluxConnectionError, FluxRpcError, submitJob } from './wire/index.js';

/** Sends the backend's jobs to Flux; see the module comment. */
export class FluxSubmitter {
  /** Jobs ready to be sent when the connection is up. */
  #outbox: JobHandle[] = [];
  #flushQueued = false;
  /** Jobs waiting for a dependency's Flux id. */
  readonly #waitingDeps = new Set<JobHandle>();
  /** Jobs that ended without ever reaching Flux (refused, canceled before being sent). */
  readonly #neverInFlux = new Set<JobHandle>();
  #logDirMade = false;

  constructor(
    private readonly parts: FluxBackendParts,
    private readonly logDir: string,
  ) {}

  /** The job can be sent once its dependencies have Flux ids (and the connection is up). */
  ready(job: JobHandle): void {
    const deps = this.#dependencyIds(job);
    if (deps === undefined || deps === 'failed') {
      // (failed: the engine raises `dependency` itself for a job whose dependency already failed)
      this.#waitingDeps.add(job);
      if (deps === 'failed') this.failDependants();
      return;
    }
    this.#outbox.push(job);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.flush();
      });
    }
  }

  /** The job ends without having reached Flux (then {@link settleWaiting}). */
  neverSent(job: JobHandle): void {
    this.#neverInFlux.add(job);
  }

  /** The job is no longer followed. */
  forget(job: JobHandle): void {
    this.#waitingDeps.delete(job);
  }

  /** A job got its Flux id, or ended without one: the jobs waiting for it may go, or fail. */
  settleWaiting(): void {
    if (this.#waitingDeps.size > 0) this.failDependants();
  }

  /**
   * Flux ids of the job's dependencies; undefined while one has none yet; `failed` when an
   * `afterok` one ended without reaching Flux.
   */
  #dependencyIds(job: JobHandle): { afterok: bigint[]; afterany: bigint[] } | 'failed' | undefined {
    const host = this.parts.host;
    const out = { afterok: [] as bigint[], afterany: [] as bigint[] };
    for (const kind of ['afterok', 'afterany'] as DependencyKind[]) {
      for (const dep of host.dependencies(job, kind)) {
        const native = host.nativeId(dep);
        if (native !== undefined) out[kind].push(fluxId(native));
        else if (!this.#neverInFlux.has(dep)) return undefined;
        else if (kind === 'afterok') return 'failed';
      }
    }
    return out;
  }

  /** Sends the jobs that are ready (or starts the connection they wait for). */
  flush(): void {
    const { session, jobs, host } = this.parts;
    const conn = session.connection;
    if (!conn) {
      if (this.#outbox.length > 0) session.start();
      return;
    }
    const batch = this.#outbox;
    this.#outbox = [];
    if (!this.#logDirMade && batch.length > 0) {
      mkdirSync(this.logDir, { recursive: true });
      this.#logDirMade = true;
    }
    const env = new Lazy(processEnvironment);
    for (const job of batch) {
      const rec = jobs.get(job);
      if (!rec || rec.phase !== Phase.READY) continue;
      const deps = this.#dependencyIds(job);
      if (deps === undefined || deps === 'failed') {
        rec.phase = Phase.READY;
        this.ready(job);
        continue;
      }
      const f58 = host.jobid(job).f58;
      const body = fluxSubmission(host.spec(job), f58, this.logDir, deps, env);
      rec.phase = Phase.SENDING;
      jobs.tag(job, f58);
      submitJob(conn, body, { urgency: host.urgency(job) }).then(
        (id) => {
          if (jobs.get(job) === rec && rec.id === undefined) this.parts.claim(job, rec, id);
        },
        (error: Error) => this.#submitFailed(job, rec, error),
      );
    }
  }

  #submitFailed(job: JobHandle, rec: FluxJob, error: Error): void {
    const { jobs, host } = this.parts;
    if (jobs.get(job) !== rec || rec.id !== undefined) return;
    if (error instanceof FluxConnectionError) {
      // Flux may or may not have it: found by its tag after reconnecting, else sent again.
      rec.phase = Phase.UNKNOWN;
      return;
    }
    const message = error instanceof FluxRpcError ? (error.errstr ?? error.message) : error.message;
    this.parts.forget(job);
    this.#neverInFlux.add(job);
    host.exception(job, /dependenc/i.test(message) ? 'dependency' : 'submit', 0, `flux refused the job: ${message}`);
    host.abandoned(job);
    this.failDependants();
  }

  /**
   * Jobs waiting for a dependency's Flux id when a dependency will never get one (it ended
   * without reaching Flux): Flux cannot raise their `dependency` exception, so it is raised here
   * for `afterok`; an `afterany` dependency is met (it ended).
   */
  failDependants(): void {
    const host = this.parts.host;
    for (const job of [...this.#waitingDeps]) {
      const deps = this.#dependencyIds(job);
      if (deps === undefined) continue;
      this.#waitingDeps.delete(job);
      if (deps === 'failed') {
        this.parts.forget(job);
        host.exception(job, 'dependency', 0, 'a dependency ended without reaching Flux');
        host.abandoned(job);
      } else this.ready(job);
    }
  }
}
