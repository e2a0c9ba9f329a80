/**
 * What a backend folder exports besides its {@link Backend} class: how to make one from options,
 * and what the command line and the durable layer need to know about its jobs without a live
 * backend. `backends/registry.ts` lists the plug-ins; nothing else names a backend.
 */
import type { Backend } from './backend.js';

/** Options every backend is given by the executor, whatever its kind. */
export interface CommonBackendOptions {
  /**
   * Where the backend keeps per-job files it needs (status files, scripts, default outputs).
   * With a store it defaults to `.jobf-logs` beside the store file.
   */
  readonly logDir?: string;
  /** The jobs are kept in a store and must outlive this process (set by the executor). */
  readonly persistent?: boolean;
}

/** What is known of a stored job, as a plug-in sees it (a subset of the store's record). */
export interface StoredJobView {
  /** The job's id in F58. */
  readonly f58: string;
  /** The backend's own id, once recorded. */
  readonly nativeId: string | undefined;
  /** Its state in the store. */
  readonly state: string;
  /** When it started, if it did. */
  readonly tRun: number | undefined;
  /** Number of tasks of its jobspec. */
  readonly numTasks: number;
}

/**
 * A backend plug-in.
 *
 * @typeParam Options - The backend's own options (besides {@link CommonBackendOptions}).
 */
export interface BackendPlugin<Options extends object = object> {
  /** The backend's name, as given to `backend:` and `jobf --backend`. */
  readonly name: string;
  /** One line for `jobf help`. */
  readonly summary: string;
  /** Makes the backend. `options` may carry other backends' options too: each takes its own. */
  create(options: Options & CommonBackendOptions): Backend;
  /**
   * `jobf submit` hands jobs to this backend at once (a scheduler queues them), rather than
   * leaving them queued in the store for `jobf execute` (the local backend).
   */
  readonly submitsAtOnce: boolean;
  /**
   * Whether a stored job whose owner died may exist on the backend (so it must be taken over and
   * followed or canceled there, not just canceled in the store). `logDir` is where its files are.
   */
  mayExist(job: StoredJobView, logDir: string): boolean;
  /**
   * Sends `signal` to a stored job that another live process runs (`jobf stop` when the owner does
   * not end it in time), through the backend's own tools. Resolves to whether it was sent.
   */
  signalStored(job: StoredJobView, signal: NodeJS.Signals, options: CommonBackendOptions): Promise<boolean>;
}
