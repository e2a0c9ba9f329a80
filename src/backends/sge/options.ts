/**
 * {@link SgeBackendOptions}: how a Grid Engine backend is set up.
 *
 * @module
 */
import type { BatchBackendOptions } from '../batch/options.js';

/** Options of {@link SgeBackend}. */
export interface SgeBackendOptions extends BatchBackendOptions {
  /**
   * Folder for generated scripts (`<f58>.sge`), status files (`<f58>.status`), `{{tmpdir}}`
   * folders (`<f58>.d`) and default outputs (`<f58>.out`, `<f58>.err`). Must be on a filesystem
   * that the execution hosts share with this process, and an absolute path without `"`, `'`, `$`,
   * `:`, `,` (Grid Engine's path syntax). Created if missing.
   */
  logDir: string;
  /** Queue (or queue list) for jobs whose spec names none (`-q`). Default: Grid Engine's choice. */
  queue?: string;
  /** Project (`-P`). Default: none. */
  project?: string;
  /** Parallel environment for jobs asking for more than one core on one host (`-pe NAME N`). Default `smp`. */
  smpParallelEnvironment?: string;
  /**
   * Parallel environment of MPI jobs (several tasks and the `mpi` option; `-pe NAME N` for N =
   * tasks × cores per task, any hosts: its `allocation_rule` should be `$fill_up` or `$round_robin`
   * and `control_slaves TRUE`). Default `mpi`.
   */
  mpiParallelEnvironment?: string;
  /** Array fan-outs run at most this many tasks at once (`-tc N`). Default: no limit. */
  arrayThrottle?: number;
  /** Most tasks per `qsub -t` (the cell's `max_aj_tasks`); bigger fan-outs are split. Default 75000. */
  maxArraySize?: number;
  /**
   * How long qsub is retried while qmaster cannot be reached (nothing was submitted), in ms.
   * Default 60000; 0 disables retries.
   */
  submitRetryMs?: number;
  /**
   * How long a job may be missing from `qstat` without a status file or accounting record
   * before it is declared lost, in ms (status files lag on shared filesystems, accounting lags
   * qstat). Default 30000.
   */
  vanishGraceMs?: number;
  /**
   * Accounting file read for jobs that left qstat without a status file (adopted jobs, jobs
   * killed by `qdel` or `h_rt`). Default `$SGE_ROOT/$SGE_CELL/common/accounting`
   * (`/var/lib/gridengine/default/common/accounting` when unset); `false`, or a file that cannot be
   * read, falls back to one `qacct -j` per such job.
   */
  accountingFile?: string | false;
  /**
   * A running job being canceled gets SIGTERM (when it runs on this host) and is `qdel`ed
   * (SIGKILL) this long after, unless it ended, in ms. Default 5000.
   */
  cancelGraceMs?: number;
}
