/**
 * The FLUID layout (RFC 19): a 64-bit id is
 * `timestamp (40 bits) | generator id (14 bits) | sequence (10 bits)`, the timestamp counting
 * milliseconds since {@link FLUID_EPOCH_MS}.
 */
import { InvalidArgumentError } from '../util/errors.js';

/**
 * The fixed epoch of FLUID timestamps: `Date.UTC(2025, 0, 1)`. Flux counts from each instance's
 * start; counting from one fixed instant instead makes ids from different processes sort by time.
 * 40 bits of milliseconds last about 34 years, so until around 2059.
 */
export const FLUID_EPOCH_MS: number = Date.UTC(2025, 0, 1);

/** Bits of the millisecond timestamp (the top of the id). */
export const FLUID_TIMESTAMP_BITS = 40;
/** Bits of the generator id (the middle of the id). */
export const FLUID_GENERATOR_BITS = 14;
/** Bits of the per-millisecond sequence number (the bottom of the id). */
export const FLUID_SEQUENCE_BITS = 10;

/** One more than the largest FLUID timestamp: 2^40. */
export const TIMESTAMP_LIMIT = 2 ** FLUID_TIMESTAMP_BITS;
/** Number of generator ids: 2^14 = 16384. */
export const GENERATOR_LIMIT = 2 ** FLUID_GENERATOR_BITS;
/** Ids per generator per millisecond: 2^10 = 1024. */
export const SEQUENCE_LIMIT = 2 ** FLUID_SEQUENCE_BITS;
/** One more than the largest low part (generator id and sequence): 2^24. */
export const LOW_LIMIT = 2 ** (FLUID_GENERATOR_BITS + FLUID_SEQUENCE_BITS);

/**
 * Packs a FLUID timestamp and low part into a 64-bit id.
 *
 * @param timestampMs - Milliseconds since {@link FLUID_EPOCH_MS}, an integer in `[0, 2^40)`.
 * @param low24 - `generatorId << 10 | sequence`, an integer in `[0, 2^24)`.
 * @returns `timestampMs * 2^24 + low24`.
 * @throws {@link InvalidArgumentError} (`timestampMs` or `low24`) if either is out of range.
 */
export function jobidFromParts(timestampMs: number, low24: number): bigint {
  if (!Number.isInteger(timestampMs) || timestampMs < 0 || timestampMs >= TIMESTAMP_LIMIT) {
    throw new InvalidArgumentError('timestampMs', `must be an integer in [0, 2^40), got ${String(timestampMs)}`);
  }
  if (!Number.isInteger(low24) || low24 < 0 || low24 >= LOW_LIMIT) {
    throw new InvalidArgumentError('low24', `must be an integer in [0, 2^24), got ${String(low24)}`);
  }
  return (BigInt(timestampMs) << 24n) | BigInt(low24);
}
