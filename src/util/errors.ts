/**
 * Base class of every error jobfutures throws on purpose. Catch this to tell our typed errors apart
 * from programming errors; each subclass has a stable `code`.
 */
export class JobfuturesError extends Error {
  /** A stable, machine-readable code such as `ERR_JOBSPEC_INVALID`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument passed to a public function is of the wrong type or out of range. */
export class InvalidArgumentError extends JobfuturesError {
  /** The name of the offending argument or option, e.g. `opts.duration`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('ERR_INVALID_ARGUMENT', `invalid argument ${argument}: ${message}`);
    this.argument = argument;
  }
}

/** The message of an error, or the thing itself as text (for whatever a `catch` caught). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
