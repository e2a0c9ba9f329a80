/**
 * Typed errors of the jobspec module.
 *
 * @module
 */
import { JobfuturesError } from '../util/errors.js';
import type { JobspecIssue } from './types.js';

/**
 * A jobspec is not valid Jobspec V1. `errors` lists every problem found, each with a JSON
 * pointer `path` (`''` for the document root) and a `message`; `message` of the error itself
 * reads like `invalid jobspec: /tasks/0/command: must not be empty (and 2 more)`.
 */
export class JobspecValidationError extends JobfuturesError {
  /** Every problem found, in document order, the most important first. Never empty. */
  readonly errors: ReadonlyArray<JobspecIssue>;

  constructor(errors: ReadonlyArray<JobspecIssue>, options?: { cause?: unknown }) {
    const list = errors.length > 0 ? errors : [{ path: '', message: 'is not valid' }];
    super('ERR_JOBSPEC_INVALID', formatValidationMessage(list), options);
    this.errors = Object.freeze(list.map((issue) => Object.freeze({ path: issue.path, message: issue.message })));
  }
}

/** Jobspec text (JSON or YAML) has a syntax error. `line` and `column` are 1-based. */
export class JobspecParseError extends JobfuturesError {
  /** 1-based line of the error (0 when unknown). */
  readonly line: number;
  /** 1-based column of the error (0 when unknown). */
  readonly column: number;

  constructor(format: 'json' | 'yaml', line: number, column: number, detail: string, options?: { cause?: unknown }) {
    const where = line > 0 ? ` at line ${line}, column ${column}` : '';
    super('ERR_JOBSPEC_PARSE', `cannot parse jobspec ${format.toUpperCase()}${where}: ${detail}`, options);
    this.line = line;
    this.column = column;
  }
}

function formatValidationMessage(errors: ReadonlyArray<JobspecIssue>): string {
  const first = errors[0]!;
  const where = first.path === '' ? '' : `${first.path}: `;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `invalid jobspec: ${where}${first.message}${more}`;
}
