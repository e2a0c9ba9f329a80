/**
 * {@link LocalBackendOptions}: what the local backend takes, and {@link checkLocalOptions}, which
 * checks them and fills in their defaults in one place.
 */
import { availableParallelism } from 'node:os';

import { InvalidArgumentError } from '../../util/errors.js';
import type { SpawnerFactory } from './spawner.js';

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /** Cores that jobs may use at once (a job needs `numTasks × coresPerTask`). Default: `os.availableParallelism()`. */
  readonly maxCores?: number;
  /** Folder for default stdout/stderr files (`<f58 id>.out|.err`) and batch scripts. Default: a new temp folder per backend, made on first use. */
  readonly logDir?: string;
  /**
   * Create the default stdout/stderr files (`<f58 id>.out|.err`, for jobs whose spec names no
   * output, single-task) only once the job writes to them: within ~100 ms of its first write while
   * it runs, and before its `finish` event if it wrote by then. A job that writes nothing to a
   * stream leaves no file for it, and `readStdout()`/`readStderr()` of the finished job give ''.
   * Creating two files per job is the dearest part of starting short jobs. Output written after
   * the job ended, by processes it left behind, is kept only if the file existed by then. Needs the
   * native launcher and O_TMPFILE (else the files are made at once). Default true, except with
   * `persistent` (jobs outliving this process get their files at once).
   */
  readonly lazyOutput?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when a job is canceled or times out. Default 5000. */
  readonly killTimeout?: number;
  /** How processes are started: `auto` (the native launcher when built, else execa), `launcher`, `execa`, or a factory. Default `auto`. */
  readonly spawner?: 'auto' | 'launcher' | 'execa' | SpawnerFactory;
  /**
   * Jobs outlive this process, however it ends (exit, uncaught exception, SIGINT, SIGTERM, SIGKILL):
   * each task runs under a small `sh` wrapper that records its exit status in
   * `<logDir>/<f58>[.<rank>].status`, so that a later executor on the same store can take them over
   * ({@link LocalBackend.recover}). Default false (the job store turns it on).
   */
  readonly persistent?: boolean;
  /** With `persistent`: a started job whose fate cannot be known is queued again instead of failing with `lost`. Default false. */
  readonly requeueLost?: boolean;
}

/** {@link LocalBackendOptions} checked, with their defaults. */
export interface CheckedLocalOptions {
  readonly maxCores: number;
  readonly killTimeout: number;
  readonly persistent: boolean;
  /** Default outputs are made once written: never with `persistent`. */
  readonly lazyOutput: boolean;
  readonly requeueLost: boolean;
}

/**
 * Checks the options of a local backend and fills in their defaults.
 *
 * @throws {@link InvalidArgumentError} for a `maxCores` that is not a positive integer or a
 *   negative or infinite `killTimeout`.
 */
export function checkLocalOptions(options: LocalBackendOptions): CheckedLocalOptions {
  const maxCores = options.maxCores ?? availableParallelism();
  if (!Number.isInteger(maxCores) || maxCores < 1) throw new InvalidArgumentError('opts.maxCores', `must be a positive integer, got ${String(maxCores)}`);
  const killTimeout = options.killTimeout ?? 5000;
  if (!(killTimeout >= 0) || !Number.isFinite(killTimeout)) throw new InvalidArgumentError('opts.killTimeout', `must be a non-negative number of ms, got ${String(killTimeout)}`);
  const persistent = options.persistent ?? false;
  return { maxCores, killTimeout, persistent, lazyOutput: !persistent && (options.lazyOutput ?? true), requeueLost: options.requeueLost ?? false };
}
