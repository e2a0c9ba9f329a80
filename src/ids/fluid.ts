/**
 * The FLUID generator (RFC 19): unique, increasing 64-bit job ids without coordination.
 */
import { randomInt } from 'node:crypto';

import { InvalidArgumentError } from '../util/errors.js';
import { FluidRangeError } from './errors.js';
import { JobID } from './jobid.js';
import {
  FLUID_EPOCH_MS,
  FLUID_SEQUENCE_BITS,
  FLUID_TIMESTAMP_BITS,
  GENERATOR_LIMIT,
  SEQUENCE_LIMIT,
  TIMESTAMP_LIMIT,
} from './layout.js';

/** Options of {@link FluidGenerator}. */
export interface FluidGeneratorOptions {
  /**
   * This generator's id, an integer in 0..16383. Generators that must never collide (for example
   * in different processes sharing a store) need different ids. Default: random.
   */
  generatorId?: number;
  /**
   * The clock, in milliseconds since the Unix epoch (fractions are dropped). Default `Date.now`.
   */
  clock?: () => number;
}

/**
 * Makes FLUIDs: 64-bit ids that, from one generator, are strictly increasing and never repeat.
 *
 * - Up to 1024 ids per millisecond come from the sequence number. Past that the generator borrows
 *   the next millisecond (its logical timestamp runs ahead of the clock) instead of waiting.
 * - If the clock goes backwards the generator keeps its last timestamp, so ids still increase.
 *
 * Ids from generators with different {@link FluidGenerator.generatorId}s never collide. For bulk
 * fan-outs, {@link FluidGenerator.nextInto} and {@link FluidGenerator.nextBatchInto} write ids as
 * (timestamp, low 24 bits) pairs into typed arrays without allocating.
 *
 * @example
 * ```ts
 * const gen = new FluidGenerator({ generatorId: 7 });
 * const id = gen.next();  // JobID, e.g. ƒ2sBp7VbfR
 * ```
 */
export class FluidGenerator {
  /** This generator's id, 0..16383: bits 10..23 of every id it makes. */
  readonly generatorId: number;
  readonly #clock: () => number;
  /** `generatorId << 10`, the constant part of every low24. */
  readonly #idBits: number;
  /** Logical timestamp of the last id, ms since FLUID_EPOCH_MS; may run ahead of the clock. */
  #timestamp = 0;
  /** Next sequence number to hand out at `#timestamp`; SEQUENCE_LIMIT when exhausted. */
  #seq = 0;

  /**
   * @param opts - See {@link FluidGeneratorOptions}.
   * @throws {@link InvalidArgumentError} (`opts.generatorId`) if the id is not an integer in
   *   0..16383, or (`opts.clock`) if the clock is not a function.
   */
  constructor(opts: FluidGeneratorOptions = {}) {
    const { generatorId, clock } = opts;
    if (generatorId === undefined) {
      this.generatorId = randomInt(GENERATOR_LIMIT);
    } else if (Number.isInteger(generatorId) && generatorId >= 0 && generatorId < GENERATOR_LIMIT) {
      this.generatorId = generatorId;
    } else {
      throw new InvalidArgumentError(
        'opts.generatorId',
        `must be an integer in 0..${GENERATOR_LIMIT - 1}, got ${String(generatorId)}`,
      );
    }
    if (clock !== undefined && typeof clock !== 'function') {
      throw new InvalidArgumentError('opts.clock', `must be a function returning ms since the Unix epoch, got ${typeof clock}`);
    }
    this.#clock = clock ?? Date.now;
    this.#idBits = this.generatorId << FLUID_SEQUENCE_BITS;
  }

  /**
   * Advances the state by one id: afterwards `#timestamp` and `#seq - 1` are its parts.
   * Allocation-free apart from whatever the clock allocates.
   */
  #advance(): void {
    const now = Math.floor(this.#clock()) - FLUID_EPOCH_MS;
    if (now > this.#timestamp) {
      // The clock moved forward (a NaN or backwards clock never gets here).
      if (now >= TIMESTAMP_LIMIT) this.#exhausted(now);
      this.#timestamp = now;
      this.#seq = 0;
    } else if (this.#seq === SEQUENCE_LIMIT) {
      // 1024 ids already in this millisecond: borrow the next one rather than sleep.
      const next = this.#timestamp + 1;
      if (next >= TIMESTAMP_LIMIT) this.#exhausted(next);
      this.#timestamp = next;
      this.#seq = 0;
    }
    this.#seq++;
  }

  #exhausted(timestamp: number): never {
    throw new FluidRangeError(
      `FLUID timestamp ${timestamp} ms after ${new Date(FLUID_EPOCH_MS).toISOString()} ` +
        `does not fit in ${FLUID_TIMESTAMP_BITS} bits (the clock is past ` +
        `${new Date(FLUID_EPOCH_MS + TIMESTAMP_LIMIT).toISOString()})`,
    );
  }

  /**
   * Hot path, allocation-free: writes the timestamp part (ms since FLUID_EPOCH_MS) to hi[i] and the
   * low 24 bits (generatorId << 10 | seq) to lo[i]. The id is `hi[i] * 2^24 + lo[i]`; see
   * {@link jobidFromParts} and `JobID.fromParts`.
   *
   * `i` is not checked: an index out of bounds is silently dropped, as for any typed array write.
   *
   * The generator itself allocates nothing here. The clock may: V8's `Date.now()` (the default)
   * returns each reading as a 16-byte heap number, since millisecond timestamps exceed the small
   * integer range, and costs ~20-50 ns, most of this call. Where that matters, use
   * {@link FluidGenerator.nextBatchInto}, which reads the clock once per batch.
   *
   * @throws {@link FluidRangeError} if the timestamp no longer fits in 40 bits (around 2059).
   */
  nextInto(hi: Float64Array, lo: Uint32Array, i: number): void {
    this.#advance();
    hi[i] = this.#timestamp;
    lo[i] = this.#idBits | (this.#seq - 1);
  }

  /**
   * Batch form of {@link FluidGenerator.nextInto}: writes `count` consecutive ids to
   * `hi[start..start+count)` and `lo[start..start+count)`, reading the clock once for the whole
   * batch (the clock read is most of the cost of `nextInto`). The ids are exactly those `count`
   * calls of `nextInto` would give within one millisecond. Allocation-free; a `count` of 0 or less
   * writes nothing.
   *
   * @throws {@link FluidRangeError} if the timestamp no longer fits in 40 bits (around 2059); ids
   *   written before the throw are valid.
   */
  nextBatchInto(hi: Float64Array, lo: Uint32Array, start: number, count: number): void {
    if (!(count > 0)) return;
    this.#advance();
    let timestamp = this.#timestamp;
    let seq = this.#seq; // next sequence number to hand out (the first id used seq - 1)
    const idBits = this.#idBits;
    hi[start] = timestamp;
    lo[start] = idBits | (seq - 1);
    const end = start + count;
    for (let i = start + 1; i < end; i++) {
      if (seq === SEQUENCE_LIMIT) {
        if (timestamp + 1 >= TIMESTAMP_LIMIT) {
          this.#timestamp = timestamp;
          this.#seq = seq;
          this.#exhausted(timestamp + 1);
        }
        timestamp++;
        seq = 0;
      }
      hi[i] = timestamp;
      lo[i] = idBits | seq;
      seq++;
    }
    this.#timestamp = timestamp;
    this.#seq = seq;
  }

  /**
   * The next id as a bigint.
   *
   * @throws {@link FluidRangeError} if the timestamp no longer fits in 40 bits (around 2059).
   */
  nextBigInt(): bigint {
    this.#advance();
    return (BigInt(this.#timestamp) << 24n) | BigInt(this.#idBits | (this.#seq - 1));
  }

  /**
   * The next id as a {@link JobID}.
   *
   * @throws {@link FluidRangeError} if the timestamp no longer fits in 40 bits (around 2059).
   */
  next(): JobID {
    return new JobID(this.nextBigInt());
  }
}
