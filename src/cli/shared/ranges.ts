/**
 * Array index ranges for `jobf submit --array`.
 *
 * - `N` alone is a count, as in gridtk's `jman -t N` (and Grid Engine's `qsub -t`): indexes 1 to N.
 * - Otherwise Slurm's notation: `ITEM[,ITEM...]` where an ITEM is `N` (the single index N), `A-B`
 *   (A to B inclusive) or `A-B:S` (A, A+S, ... up to B). A single index alone is written `N-N`.
 *
 * Indexes are integers from 0 to {@link MAX_ARRAY_INDEX}; at most {@link MAX_ARRAY_TASKS} in all,
 * each once.
 */
import { JobfuturesError } from '../../util/errors.js';

/** Largest array index: 2^31 - 1. */
export const MAX_ARRAY_INDEX = 2 ** 31 - 1;

/** Most tasks one `--array` may make. */
export const MAX_ARRAY_TASKS = 100_000;

/** An `--array` value is malformed. The message names the text and what is wrong. */
export class ArrayRangeError extends JobfuturesError {
  /** The text as given. */
  readonly input: string;

  /**
   * @param input - The rejected text.
   * @param reason - Why (completes "invalid array range X: ...").
   */
  constructor(input: string, reason: string) {
    super('ERR_ARRAY_RANGE', `invalid array range "${input}": ${reason}`);
    this.input = input;
  }
}

function index(input: string, text: string, what: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new ArrayRangeError(input, `${what} "${text}" is not a non-negative integer`);
  }
  const n = Number(text);
  if (n > MAX_ARRAY_INDEX) throw new ArrayRangeError(input, `${what} ${text} is larger than ${MAX_ARRAY_INDEX}`);
  return n;
}

/**
 * Parses an array range.
 *
 * @param input - E.g. `10` (1 to 10), `1-10`, `0-100:10`, `1,3,5-7`.
 * @returns The indexes, in the order written.
 * @throws {@link ArrayRangeError} for a syntax error, an end before its start, a step of 0, an
 *   index given twice, a throttle (`%N`, not supported), or more than {@link MAX_ARRAY_TASKS} tasks.
 */
export function parseArrayRange(input: string): number[] {
  if (input.trim() === '') throw new ArrayRangeError(input, 'it is empty');
  if (input.includes('%')) {
    throw new ArrayRangeError(input, 'a throttle (%N) is not supported; limit concurrency with "jobf execute --parallel N"');
  }
  if (/^[0-9]+$/.test(input)) {
    const n = index(input, input, 'count');
    if (n < 1) throw new ArrayRangeError(input, 'a count of 0 makes no task (N alone means 1-N; the single index 0 is 0-0)');
    if (n > MAX_ARRAY_TASKS) throw new ArrayRangeError(input, `more than ${MAX_ARRAY_TASKS} tasks`);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const seen = new Set<number>();
  const out: number[] = [];
  const add = (n: number): void => {
    if (seen.has(n)) throw new ArrayRangeError(input, `index ${n} appears more than once`);
    if (out.length === MAX_ARRAY_TASKS) throw new ArrayRangeError(input, `more than ${MAX_ARRAY_TASKS} tasks`);
    seen.add(n);
    out.push(n);
  };
  for (const item of input.split(',')) {
    const m = /^([^-:]*)(?:-([^:]*)(?::(.*))?)?$/.exec(item);
    if (item === '' || m === null) {
      throw new ArrayRangeError(input, `"${item}" is not N, A-B or A-B:STEP`);
    }
    const start = index(input, m[1]!, 'start');
    if (m[2] === undefined) {
      add(start);
      continue;
    }
    const end = index(input, m[2], 'end');
    const step = m[3] === undefined ? 1 : index(input, m[3], 'step');
    if (end < start) throw new ArrayRangeError(input, `the end ${end} is smaller than the start ${start}`);
    if (step === 0) throw new ArrayRangeError(input, 'the step must be at least 1');
    if (Math.floor((end - start) / step) + 1 > MAX_ARRAY_TASKS) {
      throw new ArrayRangeError(input, `more than ${MAX_ARRAY_TASKS} tasks`);
    }
    for (let n = start; n <= end; n += step) add(n);
  }
  return out;
}
