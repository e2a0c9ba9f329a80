/**
 * {@link SlurmBackendOptions}: how a Slurm backend is set up.
 *
 * @module
 */
import type { BatchBackendOptions } from '../batch/options.js';

/** Options of {@link SlurmBackend}. */
export interface SlurmBackendOptions extends BatchBackendOptions {
  /**
   * Folder for generated scripts (`<f58>.sbatch`), task body files of coalesced arrays
   * (`<f58>.task`), status files (`<f58>.status`), `{{tmpdir}}` folders (`<f58>.d`) and default
   * outputs (`<f58>.out`, `<f58>.err`). Must be on a filesystem
   * that the compute nodes share with this process. Created if missing.
   */
  logDir: string;
  /** Partition for jobs whose spec names no queue. Default: the cluster's default partition. */
  partition?: string;
  /** Account to charge (`--account`). Default: the user's default account. */
  account?: string;
  /** Array fan-outs run at most this many tasks at once (`--array=...%N`). Default: no limit. */
  arrayThrottle?: number;
  /**
   * Most tasks per `sbatch --array` (Slurm's `MaxArraySize`); bigger fan-outs are split.
   * Default: read once from `scontrol show config`.
   */
  maxArraySize?: number;
  /**
   * How long sbatch is retried while the controller cannot be reached (connection refused:
   * nothing was submitted), in ms. Default 60000; 0 disables retries.
   */
  submitRetryMs?: number;
  /**
   * How long a job may be missing from `squeue` (and accounting) without a status file before it
   * is declared lost, in ms (status files can lag on shared filesystems). Default 30000.
   */
  vanishGraceMs?: number;
}
