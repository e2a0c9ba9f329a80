import { JobfuturesError } from '../util/errors.js';

/**
 * A string could not be parsed as a job ID in any of the RFC 19 encodings
 * (decimal, `0x` hex, dothex, `job.` kvs, F58 or words).
 *
 * The message names the input and says why it was rejected, e.g.
 * `invalid job id "f0": '0' is not an F58 digit (the alphabet has no 0, O, I or l)`.
 */
export class JobIDParseError extends JobfuturesError {
  /** The text that failed to parse, exactly as it was given (not trimmed). */
  readonly input: string;

  /**
   * @param input - The rejected text, as given.
   * @param reason - Why it was rejected (completes the sentence "invalid job id X: ...").
   */
  constructor(input: string, reason: string) {
    super('ERR_JOBID_PARSE', `invalid job id ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

/**
 * A {@link FluidGenerator} cannot produce another id because its 40-bit millisecond timestamp
 * (counted from `FLUID_EPOCH_MS`) has run out. That happens around the year 2059, or earlier if the
 * generator was made to borrow more than 2^40 ms ahead of its clock.
 */
export class FluidRangeError extends JobfuturesError {
  constructor(message: string) {
    super('ERR_FLUID_RANGE', message);
  }
}
