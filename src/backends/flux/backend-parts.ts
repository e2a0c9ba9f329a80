/**
 * What the parts of the Flux backend ({@link FluxSubmitter}, {@link JournalFollower}) share and ask
 * of the backend that holds them: the engine, the connection, the index of jobs, and the few steps
 * that more than one part takes.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import type { FluxJob } from './flux-job.js';
import type { FluxJobIndex } from './job-index.js';
import type { FluxSession } from './session.js';

/** The backend as its parts see it. */
export interface FluxBackendParts {
  /** The engine (bound before any job arrives). */
  readonly host: BackendHost;
  readonly session: FluxSession;
  readonly jobs: FluxJobIndex;
  /** The job is in Flux under `id`: recorded, and cancels or urgencies asked for meanwhile are passed on. */
  claim(job: JobHandle, rec: FluxJob, id: bigint): void;
  /** The job is no longer followed. */
  forget(job: JobHandle): void;
  /** Keeps the process alive (and the connection up) while jobs are followed. */
  referenced(): void;
}
