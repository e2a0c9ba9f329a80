/**
 * F58: the base58 encoding of job ids (RFC 19), as in flux-core's `src/common/libutil/fluid.c`.
 *
 * The digits use the Bitcoin base58 alphabet (no `0`, `O`, `I` or `l`), most significant first,
 * after a prefix: `ƒ` (U+0192) normally, or ASCII `f` where Unicode is not wanted. Zero is `ƒ1`;
 * decoding accepts either prefix and leading zero digits (`f111` is 0).
 */
import { JobIDParseError } from './errors.js';

/** The 58 F58 digits, in value order (index = digit value). */
export const F58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** The usual F58 prefix: `ƒ`, U+0192 LATIN SMALL LETTER F WITH HOOK. */
export const F58_PREFIX = '\u0192';
/** The ASCII F58 prefix, used by `f58plain` and accepted when decoding. */
export const F58_ASCII_PREFIX = 'f';
/** At most this many digits follow the prefix (as in flux-core): 2^64 - 1 is `ƒjpXCZedGfVQ`. */
export const F58_MAX_DIGITS = 12;

const U64_MAX = (1n << 64n) - 1n;
/** 58^6: splitting a 64-bit value at this radix leaves both halves well inside 2^53. */
const SPLIT = 58 ** 6;
const SPLIT_BIG = BigInt(SPLIT);

/** Digit value of each ASCII code, -1 where the character is not an F58 digit. */
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < F58_ALPHABET.length; i++) DIGIT_VALUE[F58_ALPHABET.charCodeAt(i)] = i;

function encodeNumber(n: number): string {
  let s = '';
  do {
    s = F58_ALPHABET[n % 58]! + s;
    n = Math.floor(n / 58);
  } while (n > 0);
  return s;
}

/**
 * Encodes a 64-bit id as F58.
 *
 * @param value - The id, `0 <= value < 2^64` (not checked: callers hold validated ids).
 * @param prefix - The prefix to put first. Default {@link F58_PREFIX} (`ƒ`); pass
 *   {@link F58_ASCII_PREFIX} for the ASCII form.
 * @returns For example `ƒuzzybunny` for 6787342413402046.
 */
export function encodeF58(value: bigint, prefix: string = F58_PREFIX): string {
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return prefix + encodeNumber(Number(value));
  const high = Number(value / SPLIT_BIG);
  const low = encodeNumber(Number(value % SPLIT_BIG));
  return prefix + encodeNumber(high) + '1'.repeat(6 - low.length) + low;
}

/**
 * Whether `text` starts with an F58 prefix (`ƒ` or `f`). It may still fail to decode.
 *
 * @param text - Trimmed candidate text.
 */
export function hasF58Prefix(text: string): boolean {
  return text.startsWith(F58_PREFIX) || text.startsWith(F58_ASCII_PREFIX);
}

/**
 * Decodes an F58 id with either prefix.
 *
 * @param text - The trimmed text, prefix included (`ƒ...` or `f...`).
 * @param input - The caller's original text, named in errors. Default `text`.
 * @returns The id as a bigint in `[0, 2^64)`.
 * @throws {@link JobIDParseError} if the prefix is missing, there are no digits or more than
 *   {@link F58_MAX_DIGITS}, a character is not in {@link F58_ALPHABET}, or the value is 2^64 or more.
 */
export function decodeF58(text: string, input: string = text): bigint {
  let start: number;
  if (text.startsWith(F58_PREFIX)) start = F58_PREFIX.length;
  else if (text.startsWith(F58_ASCII_PREFIX)) start = F58_ASCII_PREFIX.length;
  else throw new JobIDParseError(input, `F58 ids start with '${F58_PREFIX}' or 'f'`);

  const len = text.length - start;
  if (len === 0) throw new JobIDParseError(input, 'F58 prefix with no digits after it');
  if (len > F58_MAX_DIGITS) {
    throw new JobIDParseError(input, `F58 id has ${len} digits, at most ${F58_MAX_DIGITS} are allowed`);
  }
  // Accumulate the digits in two Numbers: the last 6 (< 58^6) and the ones before them.
  const split = text.length - Math.min(len, 6);
  let high = 0;
  let low = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const d = code < 128 ? DIGIT_VALUE[code]! : -1;
    if (d < 0) {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      throw new JobIDParseError(
        input,
        `'${ch}' at offset ${i} is not an F58 digit (the alphabet is ${F58_ALPHABET}: no 0, O, I or l)`,
      );
    }
    if (i < split) high = high * 58 + d;
    else low = low * 58 + d;
  }
  const value = high === 0 ? BigInt(low) : BigInt(high) * SPLIT_BIG + BigInt(low);
  if (value > U64_MAX) throw new JobIDParseError(input, 'F58 value does not fit in 64 bits');
  return value;
}
