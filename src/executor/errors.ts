import { JobfuturesError } from '../util/errors.js';
import { ClosedError } from '../core/errors.js';
import type { JobResult } from '../core/types.js';

/** `submit` after `shutdown()`. */
export class ExecutorShutdownError extends ClosedError {
  constructor() {
    super('executor', 'cannot submit: the executor has been shut down', 'ERR_EXECUTOR_SHUTDOWN');
  }
}

/** With `rejectOnFailure`, a job that did not complete rejects with this error. */
export class JobFailedError extends JobfuturesError {
  /** The job's full result. */
  readonly result: JobResult;

  constructor(result: JobResult) {
    const why = result.exception ? `${result.exception.type}: ${result.exception.note}` : `returncode ${result.returncode}`;
    super('ERR_JOB_FAILED', `job ${result.jobid.f58} ${result.result} (${why})`);
    this.result = result;
  }
}

/** A wait with a timeout ran out. The job keeps running. */
export class TimeoutError extends JobfuturesError {
  constructor(what: string, timeoutMs: number) {
    super('ERR_TIMEOUT', `${what} timed out after ${timeoutMs} ms`);
  }
}

/** `readStdout()`/`readStderr()` of a job whose file does not exist: it never started, or has not written it. */
export class OutputUnavailableError extends JobfuturesError {
  /** The job, F58. */
  readonly jobid: string;
  /** Which stream. */
  readonly stream: 'stdout' | 'stderr';
  /** The file that is missing. */
  readonly path: string;

  constructor(jobid: string, stream: 'stdout' | 'stderr', path: string, why: string, options?: { cause?: unknown }) {
    super('ERR_OUTPUT_UNAVAILABLE', `no ${stream} of job ${jobid}: ${why}`, options);
    this.jobid = jobid;
    this.stream = stream;
    this.path = path;
  }
}
