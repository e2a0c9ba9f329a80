/**
 * The dothex (`xxxx.xxxx.xxxx.xxxx`) and kvs (`job.xxxx.xxxx.xxxx.xxxx`) encodings of job ids
 * (RFC 19): the id as four 16-bit groups in hex, most significant first.
 */
import { JobIDParseError } from './errors.js';

/** The prefix of the kvs encoding: the job's directory in the Flux KVS. */
export const KVS_PREFIX = 'job.';

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Encodes a 64-bit id as dothex: always four groups of four lowercase hex digits.
 *
 * @param value - The id, `0 <= value < 2^64` (not checked: callers hold validated ids).
 * @returns For example `0018.1d0d.4d85.0fbe` for 6787342413402046.
 */
export function encodeDothex(value: bigint): string {
  const h = value.toString(16).padStart(16, '0');
  return `${h.slice(0, 4)}.${h.slice(4, 8)}.${h.slice(8, 12)}.${h.slice(12, 16)}`;
}

/**
 * Decodes dothex: four dot-separated groups of one to four hex digits (any case), so both
 * `0000.0000.0000.0039` and `0.0.0.39` are 57.
 *
 * @param text - The trimmed text, without any `job.` prefix.
 * @param input - The caller's original text, named in errors. Default `text`.
 * @returns The id as a bigint in `[0, 2^64)`.
 * @throws {@link JobIDParseError} naming the offending group if the text is not four groups of one
 *   to four hex digits.
 */
export function decodeDothex(text: string, input: string = text): bigint {
  const groups = text.split('.');
  if (groups.length !== 4) {
    throw new JobIDParseError(
      input,
      `dothex ids have 4 dot-separated groups of 1-4 hex digits (xxxx.xxxx.xxxx.xxxx), got ${groups.length}`,
    );
  }
  let high = 0;
  let low = 0;
  for (let g = 0; g < 4; g++) {
    const group = groups[g]!;
    if (!HEX_GROUP.test(group)) {
      const why =
        group === ''
          ? 'is empty'
          : group.length > 4
            ? 'has more than 4 hex digits'
            : `has ${JSON.stringify(group.match(/[^0-9a-fA-F]/u)![0])}, not a hex digit`;
      throw new JobIDParseError(input, `dothex group ${g + 1} (${JSON.stringify(group)}) ${why}`);
    }
    const n = parseInt(group, 16);
    if (g < 2) high = high * 0x10000 + n;
    else low = low * 0x10000 + n;
  }
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * Decodes the kvs encoding: {@link KVS_PREFIX} followed by dothex.
 *
 * @param text - The trimmed text, starting with `job.`.
 * @param input - The caller's original text, named in errors. Default `text`.
 * @throws {@link JobIDParseError} if the prefix is missing or the rest is not dothex.
 */
export function decodeKvs(text: string, input: string = text): bigint {
  if (!text.startsWith(KVS_PREFIX)) {
    throw new JobIDParseError(input, `kvs ids start with ${JSON.stringify(KVS_PREFIX)}`);
  }
  return decodeDothex(text.slice(KVS_PREFIX.length), input);
}
