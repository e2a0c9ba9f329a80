import { JobfuturesError } from '../util/errors.js';
import type { JobResult } from '../core/types.js';

/** A job id (or JobRef) that this executor or reactor does not know. */
export class UnknownJobError extends JobfuturesError {
  /** The id as given. */
  readonly jobid: string;
  /** The argument that carried it, e.g. `dependsOn[2]`. */
  readonly argument: string;

  constructor(jobid: string, argument: string) {
    super('ERR_UNKNOWN_JOB', `unknown job ${jobid} (${argument})`);
    this.jobid = jobid;
    this.argument = argument;
  }
}

/** `submit` after `shutdown()`. */
export class ExecutorShutdownError extends JobfuturesError {
  constructor() {
    super('ERR_EXECUTOR_SHUTDOWN', 'cannot submit: the executor has been shut down');
  }
}

/** A job asks for what this executor can never give (e.g. more cores than `maxCores`). */
export class UnsatisfiableRequestError extends JobfuturesError {
  /** JSON pointer into the jobspec of the request that cannot be met. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_UNSATISFIABLE', `unsatisfiable request: ${path}: ${message}`);
    this.path = path;
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

/** A stored job is being run by another live process: attach to it from there, or wait for it. */
export class JobOwnedError extends JobfuturesError {
  constructor(jobid: string, owner: { pid: number; host: string }) {
    super('ERR_JOB_OWNED', `job ${jobid} is run by process ${owner.pid} on ${owner.host}; attach to it from there or wait until it ends`);
  }
}
