/**
 * Flux Standard Duration (RFC 23): a compact, human-readable duration such as `90s`, `10m`,
 * `2h`, `1.5d` or `infinity`.
 *
 * A duration string is `N[SUFFIX]`: `N` is a non-negative decimal floating point number
 * (`90`, `0.5`, `.5`, `1e3`) and `SUFFIX` is one of `ms`, `s` (the default), `m`, `h`, `d`.
 * `inf` and `infinity` (any case) stand for an infinite duration.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** Seconds per FSD unit suffix. */
const UNIT_SECONDS: Readonly<Record<string, number>> = Object.freeze({
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
});

/** `N[SUFFIX]` with N a C99-style decimal float (no sign other than an optional `+`). */
const FSD_PATTERN = /^\+?((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(ms|s|m|h|d)?$/;
const INFINITY_PATTERN = /^\+?inf(?:inity)?$/i;

/** Units tried by {@link formatFSD} besides seconds, smallest first (so larger units win ties). */
const FORMAT_UNITS: ReadonlyArray<readonly [suffix: string, seconds: number]> = [
  ['m', 60],
  ['h', 3600],
  ['d', 86400],
];

/** A short plain decimal: no exponent, at most three fractional digits. */
const SHORT_DECIMAL = /^\d+(?:\.\d{1,3})?$/;

/**
 * Parse a Flux Standard Duration (RFC 23) into seconds.
 *
 * Numbers are taken as seconds. Strings follow RFC 23: `'90'` and `'90s'` are 90, `'10m'` is
 * 600, `'2h'` is 7200, `'1d'` is 86400, `'0.5m'` is 30, `'250ms'` is 0.25, and `'inf'` /
 * `'infinity'` give `Infinity`. As in Flux, results of the `ms`, `m`, `h` and `d` units are
 * rounded to the microsecond, so `'1.1h'` is exactly 3960.
 *
 * @param input - seconds, or an FSD string.
 * @param argument - the argument name used in errors (default `'duration'`).
 * @returns the duration in seconds (`>= 0`, possibly `Infinity`).
 * @throws {@link InvalidArgumentError} for negative numbers, `NaN`, values out of range, and
 *   strings that are not a Flux Standard Duration (leading/trailing spaces are not allowed).
 */
export function parseFSD(input: string | number, argument = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isNaN(input)) throw new InvalidArgumentError(argument, 'must not be NaN');
    if (input < 0) throw new InvalidArgumentError(argument, `must not be negative (got ${input})`);
    return input === 0 ? 0 : input; // normalises -0
  }
  if (typeof input !== 'string') {
    throw new InvalidArgumentError(
      argument,
      `must be a number of seconds or a Flux Standard Duration string (got ${describeType(input)})`,
    );
  }
  const match = FSD_PATTERN.exec(input);
  if (match === null) {
    if (INFINITY_PATTERN.test(input)) return Infinity;
    const hint = input.trimStart().startsWith('-') ? 'must not be negative' : 'is not a Flux Standard Duration';
    throw new InvalidArgumentError(
      argument,
      `${hint} (got ${JSON.stringify(input)}; expected e.g. '90', '90s', '10m', '2h', '1d' or 'infinity')`,
    );
  }
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const multiplier = UNIT_SECONDS[unit]!;
  let seconds = value * multiplier;
  if (!Number.isFinite(seconds)) {
    throw new InvalidArgumentError(argument, `is out of range (got ${JSON.stringify(input)}); use 'infinity' for an infinite duration`);
  }
  if (unit !== 's' && seconds < 1e9) seconds = Math.round(seconds * 1e6) / 1e6;
  return seconds;
}

/**
 * Format seconds as the shortest Flux Standard Duration that {@link parseFSD} turns back into
 * exactly the same number, trying `s`, `m`, `h` and `d` (the larger unit wins a tie).
 * Examples: `90` → `'90s'`, `3600` → `'1h'`, `5400` → `'90m'`, `129600` → `'36h'`,
 * `0` → `'0s'`, `Infinity` → `'infinity'`.
 *
 * @param seconds - a duration in seconds, `>= 0`.
 * @throws {@link InvalidArgumentError} (argument `seconds`) for negative numbers, `NaN` or
 *   non-numbers.
 */
export function formatFSD(seconds: number): string {
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
    throw new InvalidArgumentError('seconds', `must be a number (got ${describeType(seconds)})`);
  }
  if (seconds < 0) throw new InvalidArgumentError('seconds', `must not be negative (got ${seconds})`);
  if (seconds === Infinity) return 'infinity';
  let best = `${String(seconds === 0 ? 0 : seconds)}s`;
  for (const [suffix, unit] of FORMAT_UNITS) {
    if (seconds < unit) continue;
    const text = `${String(seconds / unit)}${suffix}`;
    if (text.length <= best.length && SHORT_DECIMAL.test(text.slice(0, -1)) && parseFSD(text) === seconds) best = text;
  }
  return best;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
