/**
 * JSON for Flux payloads without losing 64-bit integers. Job ids are 64-bit FLUIDs: their 40-bit
 * millisecond timestamp sits above bit 24, so an instance running for more than ~6 days issues ids
 * above 2^53 that `JSON.parse` would round. Integers that are not safe JS numbers parse to `bigint`;
 * `bigint` values stringify as bare JSON integers (as jansson's `I` format does).
 *
 * @module
 */

/** A JSON value as this module parses it: unsafe integers are `bigint`. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

const MARK = '\u0000jf-bigint:';
const MARKED = /"\\u0000jf-bigint:(-?\d+)"/g;
const LONG_DIGITS = /\d{16}/;

/**
 * Parses JSON text, turning integer literals beyond `Number.MAX_SAFE_INTEGER` into `bigint`.
 *
 * @throws SyntaxError as `JSON.parse` does.
 */
export function parseJson(text: string): JsonValue {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text) as JsonValue;
  return JSON.parse(markUnsafeIntegers(text), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value,
  ) as JsonValue;
}

/** Rewrites unsafe integer literals outside strings as marked strings the reviver turns into bigints. */
function markUnsafeIntegers(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && /[0-9eE.+-]/.test(text[j] as string)) j++;
      const tok = text.slice(i, j);
      if (/^-?\d{16,}$/.test(tok) && !Number.isSafeInteger(Number(tok))) {
        out += text.slice(from, i) + JSON.stringify(MARK + tok);
        from = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  return out + text.slice(from);
}

/**
 * Stringifies a value as compact JSON; `bigint` values become bare integers.
 *
 * @throws TypeError as `JSON.stringify` does (cycles).
 */
export function stringifyJson(value: unknown): string {
  let hasBig = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    hasBig = true;
    return MARK + v.toString();
  });
  return hasBig ? text.replace(MARKED, '$1') : text;
}
