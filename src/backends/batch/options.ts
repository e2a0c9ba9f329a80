/**
 * {@link BatchBackendOptions}: the options every queueing-scheduler backend takes, and
 * {@link checkBatchOptions}, which checks them in one place.
 *
 * @module
 */
import type { PollInterval } from '../../core/backend.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from './commands.js';

/** Default of {@link BatchBackendOptions.vanishGraceMs}. */
export const DEFAULT_VANISH_GRACE_MS = 30_000;
/** Default of {@link BatchBackendOptions.submitRetryMs}. */
export const DEFAULT_SUBMIT_RETRY_MS = 60_000;
/** Default `submitConcurrency`: submit commands at a time. */
export const DEFAULT_SUBMIT_CONCURRENCY = 4;

/** Options shared by the queueing-scheduler backends (each adds its own). */
export interface BatchBackendOptions {
  /**
   * Folder for generated scripts, status files (`<f58>.status`), `{{tmpdir}}` folders
   * (`<f58>.d`) and default outputs (`<f58>.out`, `<f58>.err`). Must be on a filesystem that the
   * compute hosts share with this process. Created if missing.
   */
  logDir: string;
  /** Poll interval bounds in ms. Defaults: `min` 250, `max` 5000. */
  pollInterval?: { min?: number; max?: number };
  /** Array fan-outs run at most this many tasks at once. Default: no limit. */
  arrayThrottle?: number;
  /** Most tasks per array; bigger fan-outs are split. Default: the scheduler's limit. */
  maxArraySize?: number;
  /** Prepended to every scheduler command, e.g. `['ssh', 'login1']`. Default: none. */
  commandPrefix?: string[];
  /** Most submit calls in flight at once. Default 4. */
  submitConcurrency?: number;
  /**
   * How long a submit call is retried while the scheduler cannot be reached (nothing was
   * submitted), in ms. Default 60000; 0 disables retries.
   */
  submitRetryMs?: number;
  /**
   * How long a job may be missing from the queue (and accounting) without a status file before it
   * is declared lost, in ms (status files can lag on shared filesystems). Default 30000.
   */
  vanishGraceMs?: number;
  /** Kill a scheduler command that runs longer than this (ms). Default 60000. */
  commandTimeoutMs?: number;
}

/** {@link BatchBackendOptions} checked, with their defaults. */
export interface CheckedBatchOptions {
  /** `logDir`, absolute. */
  readonly logDir: string;
  readonly pollInterval: PollInterval;
  readonly commandPrefix: readonly string[];
  readonly commandTimeoutMs: number;
}

/**
 * Checks the shared options and fills in their defaults.
 *
 * @throws {@link InvalidArgumentError} for a missing `logDir` or out-of-range numbers.
 */
export function checkBatchOptions(opts: BatchBackendOptions, resolve: (p: string) => string): CheckedBatchOptions {
  if (typeof opts?.logDir !== 'string' || opts.logDir === '') throw new InvalidArgumentError('opts.logDir', 'must be a non-empty path');
  const min = opts.pollInterval?.min ?? 250;
  const max = opts.pollInterval?.max ?? 5000;
  if (!(min > 0) || !(max >= min)) throw new InvalidArgumentError('opts.pollInterval', `needs 0 < min <= max (got min ${min}, max ${max})`);
  for (const key of ['arrayThrottle', 'maxArraySize', 'submitConcurrency'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InvalidArgumentError(`opts.${key}`, `must be a positive integer (got ${String(v)})`);
  }
  return { logDir: resolve(opts.logDir), pollInterval: { min, max }, commandPrefix: opts.commandPrefix ?? [], commandTimeoutMs: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS };
}
