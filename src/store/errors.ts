/**
 * Errors thrown by the job store. Each has a stable `code`.
 */
import { JobfuturesError } from '../util/errors.js';

/**
 * A file given as a job store is not one: another program's SQLite database, a text file, a
 * corrupt file, or a store written by a newer jobfutures. The file is left exactly as it was.
 *
 * The message names the path and what is wrong, e.g.
 * `/home/me/jobs.db is not a jobfutures job store: it is a SQLite database of another program (application_id 0x0)`.
 */
export class StoreFormatError extends JobfuturesError {
  /** The path of the rejected file, as given to `JobStore.open`. */
  readonly path: string;

  /**
   * @param path - The rejected file.
   * @param problem - What is wrong (completes the sentence "PATH ...").
   * @param options - `cause`: the SQLite error behind it, if any.
   */
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_STORE_FORMAT', `${path} ${problem}`, options);
    this.path = path;
  }
}

/** The store could not be opened for another reason than its format (missing file, permissions). */
export class StoreOpenError extends JobfuturesError {
  /** The path given to `JobStore.open`. */
  readonly path: string;

  /**
   * @param path - The file that could not be opened.
   * @param problem - Why (completes the sentence "cannot open job store PATH: ...").
   * @param options - `cause`: the underlying error.
   */
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_STORE_OPEN', `cannot open job store ${path}: ${problem}`, options);
    this.path = path;
  }
}

/** A job with this id is already in the store. Nothing was written. */
export class DuplicateJobError extends JobfuturesError {
  /** The id, in F58. */
  readonly jobid: string;

  /** @param jobid - The id that exists already, F58. */
  constructor(jobid: string) {
    super('ERR_DUPLICATE_JOB', `job id ${jobid} is already in the store`);
    this.jobid = jobid;
  }
}
