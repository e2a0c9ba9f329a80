/**
 * {@link JobID}: a 64-bit Flux job id (RFC 19) with parsing from, and formatting to, every
 * encoding Flux uses.
 */
import { InvalidArgumentError } from '../util/errors.js';
import { decodeDothex, decodeKvs, encodeDothex, KVS_PREFIX } from './dothex.js';
import { JobIDParseError } from './errors.js';
import { decodeF58, encodeF58, F58_ASCII_PREFIX, F58_PREFIX, hasF58Prefix } from './f58.js';
import { jobidFromParts } from './layout.js';
import { decodeWords, encodeWords, looksLikeWords } from './words.js';

const U64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const NEGATIVE = /^-[0-9]+$/;

function checkRange(value: bigint, input: string): bigint {
  if (value > U64_MAX) {
    throw new JobIDParseError(input, `exceeds the largest 64-bit id, ${U64_MAX} (0x${U64_MAX.toString(16)})`);
  }
  return value;
}

/**
 * Parses any RFC 19 encoding to a bigint. Detection follows flux-core's `fluid_parse()`: a `.` means
 * dothex (or kvs with `job.`), a `-` means words, an `ƒ`/`f` prefix means F58, then `0x` hex and
 * decimal. RFC 19's optional emoji encoding is not supported: its digit table is only published
 * under LGPL-3.0 (flux-core's basemoji.c), which this MIT package does not take in.
 */
function parseValue(input: string): bigint {
  const t = input.trim();
  if (t === '') throw new JobIDParseError(input, input === '' ? 'empty string' : 'only whitespace');
  if (t.includes('.')) return t.startsWith(KVS_PREFIX) ? decodeKvs(t, input) : decodeDothex(t, input);
  if (NEGATIVE.test(t)) throw new JobIDParseError(input, 'job ids are never negative');
  if (looksLikeWords(t)) return decodeWords(t, input);
  if (hasF58Prefix(t)) return decodeF58(t, input);
  if (t.startsWith('0x')) {
    if (!HEX.test(t)) throw new JobIDParseError(input, 'expected hex digits after "0x"');
    return checkRange(BigInt(t), input);
  }
  if (DECIMAL.test(t)) return checkRange(BigInt(t), input);
  throw new JobIDParseError(
    input,
    'not a job id in any known encoding (decimal, 0x hex, xxxx.xxxx.xxxx.xxxx, job.xxxx.xxxx.xxxx.xxxx, ' +
      'ƒ or f followed by F58 digits, mnemonicode words)',
  );
}

/**
 * A Flux job id: an unsigned 64-bit integer, usually a FLUID (see `FluidGenerator`).
 *
 * Ids exceed 2^53, so they are held as a bigint and serialised as strings (F58 by default), never
 * as JSON numbers.
 *
 * @example
 * ```ts
 * const id = JobID.parse('ƒuzzybunny');
 * id.value;   // 6787342413402046n
 * id.dothex;  // '0018.1d0d.4d85.0fbe'
 * JSON.stringify({ id });  // '{"id":"ƒuzzybunny"}'
 * ```
 */
export class JobID {
  /** The id, `0 <= value < 2^64`. */
  readonly value: bigint;
  /** F58 digits without prefix, computed on first use (toString/toJSON are frequent). */
  #f58digits: string | undefined;

  /**
   * @param value - The id.
   * @throws {@link InvalidArgumentError} (`value`) unless value is a bigint in `[0, 2^64)`.
   */
  constructor(value: bigint) {
    if (typeof value !== 'bigint') {
      throw new InvalidArgumentError('value', `must be a bigint, got ${typeof value}`);
    }
    if (value < 0n || value > U64_MAX) {
      throw new InvalidArgumentError('value', `must be in [0, 2^64), got ${value}`);
    }
    this.value = value;
  }

  /**
   * Parses a job id in any RFC 19 encoding, ignoring surrounding whitespace:
   *
   * | encoding | example (6787342413402046) |
   * |---|---|
   * | decimal | `6787342413402046` |
   * | hex | `0x181d0d4d850fbe` (lowercase `0x`, any digit case) |
   * | dothex | `0018.1d0d.4d85.0fbe` (groups of 1-4 hex digits) |
   * | kvs | `job.0018.1d0d.4d85.0fbe` |
   * | F58 | `ƒuzzybunny` or `fuzzybunny` |
   * | words | `cake-plume-nepal--neuron-pencil-academy` (any letter case) |
   *
   * @param text - The text to parse.
   * @throws {@link JobIDParseError} naming the input and why it was rejected.
   */
  static parse(text: string): JobID {
    if (typeof text !== 'string') {
      throw new JobIDParseError(String(text), `expected a string, got ${typeof text}`);
    }
    return new JobID(parseValue(text));
  }

  /**
   * Makes an id from its FLUID parts, as written by `FluidGenerator.nextInto`.
   *
   * @param timestampMs - Milliseconds since `FLUID_EPOCH_MS`, an integer in `[0, 2^40)`.
   * @param low24 - `generatorId << 10 | sequence`, an integer in `[0, 2^24)`.
   * @throws {@link InvalidArgumentError} (`timestampMs` or `low24`) if either is out of range.
   */
  static fromParts(timestampMs: number, low24: number): JobID {
    return new JobID(jobidFromParts(timestampMs, low24));
  }

  /** Decimal, e.g. `6787342413402046`. */
  get dec(): string {
    return this.value.toString();
  }

  /** Hex with a `0x` prefix, lowercase, no leading zeros, e.g. `0x181d0d4d850fbe`. */
  get hex(): string {
    return `0x${this.value.toString(16)}`;
  }

  /** Dothex, four groups of four hex digits, e.g. `0018.1d0d.4d85.0fbe`. */
  get dothex(): string {
    return encodeDothex(this.value);
  }

  /** The job's Flux KVS directory, `job.` + dothex, e.g. `job.0018.1d0d.4d85.0fbe`. */
  get kvs(): string {
    return KVS_PREFIX + encodeDothex(this.value);
  }

  /** F58 with the `ƒ` (U+0192) prefix, e.g. `ƒuzzybunny`. */
  get f58(): string {
    return F58_PREFIX + this.#digits();
  }

  /** F58 with the ASCII `f` prefix, e.g. `fuzzybunny`. */
  get f58plain(): string {
    return F58_ASCII_PREFIX + this.#digits();
  }

  /** Mnemonicode words, e.g. `cake-plume-nepal--neuron-pencil-academy`. */
  get words(): string {
    return encodeWords(this.value);
  }

  /**
   * The FLUID timestamp part: milliseconds since `FLUID_EPOCH_MS` (the top 40 bits). Only meaningful
   * for ids made by a `FluidGenerator`.
   */
  get timestamp(): number {
    return Number(this.value >> 24n);
  }

  #digits(): string {
    return (this.#f58digits ??= encodeF58(this.value, ''));
  }

  /** The F58 form with `ƒ`, as {@link JobID.f58}. */
  toString(): string {
    return this.f58;
  }

  /** The F58 form with `ƒ`, as {@link JobID.f58}: a string, since ids exceed 2^53. */
  toJSON(): string {
    return this.f58;
  }

  /**
   * Whether `other` is the same id. A string is parsed in any encoding; one that does not parse is
   * simply not equal (no error).
   *
   * @param other - A JobID, a bigint or a string in any encoding.
   */
  equals(other: JobID | bigint | string): boolean {
    if (other instanceof JobID) return other.value === this.value;
    if (typeof other === 'bigint') return other === this.value;
    if (typeof other === 'string') {
      try {
        return parseValue(other) === this.value;
      } catch (err) {
        if (err instanceof JobIDParseError) return false;
        throw err;
      }
    }
    return false;
  }

  /** Shows `JobID(ƒ...)` in `console.log` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `JobID(${this.f58})`;
  }
}
