/**
 * The errors every layer above `core/` shares: one for an unknown job, one for a closed component,
 * one for a request that can never be met, one for an operation a backend does not offer.
 */
import { JobfuturesError } from '../util/errors.js';

/** A job id (or JobRef) that this executor, reactor or store does not know. */
export class UnknownJobError extends JobfuturesError {
  /** The id as given (F58 when it was a JobID). */
  readonly jobid: string;
  /** Where it came from: an argument (`dependsOn[2]`, `jobid`) or an explanation (`(not in jobs.db)`). */
  readonly argument: string | undefined;

  /**
   * @param jobid - The unknown id, as the user gave or sees it.
   * @param detail - Where it came from: an argument name, or a parenthesised explanation.
   */
  constructor(jobid: string, detail?: string) {
    super('ERR_UNKNOWN_JOB', `unknown job id ${jobid}${detail ? (detail.startsWith('(') ? ` ${detail}` : ` (${detail})`) : ''}`);
    this.jobid = jobid;
    this.argument = detail;
  }
}

/**
 * Something was asked of a component after it was closed or shut down (an executor, a reactor, a
 * backend, a spawner). `component` says which.
 */
export class ClosedError extends JobfuturesError {
  /** What is closed, e.g. `executor`, `reactor`, `slurm backend`. */
  readonly component: string;

  constructor(component: string, message = `the ${component} is closed`, code = 'ERR_CLOSED') {
    super(code, message);
    this.component = component;
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

/** The backend does not offer this operation (e.g. sending a signal on a scheduler without one). */
export class UnsupportedOperationError extends JobfuturesError {
  /** The backend's name. */
  readonly backend: string;
  /** The operation, e.g. `kill`. */
  readonly operation: string;

  constructor(backend: string, operation: string, why?: string) {
    super('ERR_UNSUPPORTED', `${operation} is not supported on the ${backend} backend${why ? `: ${why}` : ''}`);
    this.backend = backend;
    this.operation = operation;
  }
}
