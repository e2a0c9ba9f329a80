/**
 * The words encoding of job ids: mnemonicode (flux-core `src/common/libutil/mnemonic.c` with the
 * `x-x-x--` format). The id is taken as 8 little-endian bytes, i.e. two 32-bit halves, low half
 * first; each half is three base-1626 digits, least significant first. So 1 is
 * `acrobat-academy-academy--academy-academy-academy`.
 */
import { JobIDParseError } from './errors.js';
import { MN_BASE, MN_WORDS } from './wordlist.js';

/** Number of words in a 64-bit id. */
export const WORDS_PER_ID = 6;

const MN_BASE2 = MN_BASE * MN_BASE;
const WORD_VALUE: ReadonlyMap<string, number> = new Map(MN_WORDS.map((w, i) => [w, i] as const));

function encodeHalf(x: number): [string, string, string] {
  return [
    MN_WORDS[x % MN_BASE]!,
    MN_WORDS[Math.floor(x / MN_BASE) % MN_BASE]!,
    MN_WORDS[Math.floor(x / MN_BASE2) % MN_BASE]!,
  ];
}

/**
 * Encodes a 64-bit id as six mnemonicode words, `w-w-w--w-w-w`.
 *
 * @param value - The id, `0 <= value < 2^64` (not checked: callers hold validated ids).
 * @returns For example `nevada-archive-academy--academy-academy-academy` for 65535.
 */
export function encodeWords(value: bigint): string {
  const [a, b, c] = encodeHalf(Number(value & 0xffffffffn));
  const [d, e, f] = encodeHalf(Number(value >> 32n));
  return `${a}-${b}-${c}--${d}-${e}-${f}`;
}

/**
 * Whether `text` looks like a words id (it has a `-`, as in flux-core). It may still fail to decode.
 *
 * @param text - Trimmed candidate text.
 */
export function looksLikeWords(text: string): boolean {
  return text.includes('-');
}

/**
 * Decodes a words id: six mnemonicode words separated by runs of `-`, in any letter case.
 *
 * @param text - The trimmed text.
 * @param input - The caller's original text, named in errors. Default `text`.
 * @returns The id as a bigint in `[0, 2^64)`.
 * @throws {@link JobIDParseError} if a word is not in the list or is one of the 24-bit remainder
 *   words, there are not exactly six words, or a group of three words exceeds 32 bits.
 */
export function decodeWords(text: string, input: string = text): bigint {
  const tokens = text.split(/-+/);
  const digits: number[] = [];
  for (const token of tokens) {
    if (token === '') {
      throw new JobIDParseError(input, 'words id starts or ends with "-"');
    }
    const d = WORD_VALUE.get(token.toLowerCase());
    if (d === undefined) {
      throw new JobIDParseError(input, `${JSON.stringify(token)} is not a mnemonicode word`);
    }
    if (d >= MN_BASE) {
      throw new JobIDParseError(input, `${JSON.stringify(token)} only encodes 24-bit remainders, never part of a 64-bit id`);
    }
    digits.push(d);
  }
  if (digits.length !== WORDS_PER_ID) {
    throw new JobIDParseError(
      input,
      `a words id has ${WORDS_PER_ID} words (like academy-academy-academy--academy-academy-academy), got ${digits.length}`,
    );
  }
  const [a, b, c, d, e, f] = digits as [number, number, number, number, number, number];
  const low = a + b * MN_BASE + c * MN_BASE2;
  const high = d + e * MN_BASE + f * MN_BASE2;
  if (low > 0xffffffff || high > 0xffffffff) {
    const which = low > 0xffffffff ? tokens.slice(0, 3) : tokens.slice(3);
    throw new JobIDParseError(input, `the words ${which.join('-')} do not encode a 32-bit value`);
  }
  return (BigInt(high) << 32n) | BigInt(low);
}
