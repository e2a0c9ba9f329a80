/**
 * The points of a parameter scan: the cartesian product of the parameters' values (the first
 * parameter varies slowest, as Python's `itertools.product`), or their element-wise zip; and the
 * name of each point's folder.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { PLACEHOLDER_NAME } from '../../jobspec/placeholders.js';

/** A parameter value, as given (it reaches the command as `String(value)`). */
export type ScanValue = string | number | boolean;

/** The values of one point, by parameter name, in the parameters' order. */
export type ScanPointParams = Readonly<Record<string, ScanValue>>;

/**
 * Every point of a scan, in order.
 *
 * @param params - Each parameter's values (at least one each; names as `{NAME}` placeholders take them).
 * @param zip - Element-wise (every list the same length) instead of the cartesian product.
 * @throws {@link InvalidArgumentError} (`params.NAME`) for a bad name or an empty list, or (`zip`)
 *   for lists of different lengths.
 */
export function scanPoints(params: Readonly<Record<string, readonly ScanValue[]>>, zip = false): ScanPointParams[] {
  const names = Object.keys(params);
  if (names.length === 0) throw new InvalidArgumentError('params', 'a scan needs at least one parameter');
  for (const name of names) {
    if (!PLACEHOLDER_NAME.test(name)) throw new InvalidArgumentError(`params.${name}`, 'a parameter name is a letter or _ followed by letters, digits or _');
    const values = params[name]!;
    if (!Array.isArray(values) || values.length === 0) throw new InvalidArgumentError(`params.${name}`, 'needs at least one value');
    for (const v of values) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw new InvalidArgumentError(`params.${name}`, `values are strings, numbers or booleans, got ${typeof v}`);
    }
  }
  if (zip) {
    const length = params[names[0]!]!.length;
    const other = names.find((n) => params[n]!.length !== length);
    if (other !== undefined) {
      throw new InvalidArgumentError('zip', `zipped parameters need as many values each: ${names[0]} has ${length}, ${other} has ${params[other]!.length}`);
    }
    return Array.from({ length }, (_, i) => Object.fromEntries(names.map((n) => [n, params[n]![i]!])));
  }
  let points: Record<string, ScanValue>[] = [{}];
  for (const name of names) points = points.flatMap((p) => params[name]!.map((v) => ({ ...p, [name]: v })));
  return points;
}

/** The folder name of point `index` of `count`: `point_000`, `point_001`, … (wider past 1000 points). */
export function pointName(index: number, count: number): string {
  return `point_${String(index).padStart(Math.max(3, String(count - 1).length), '0')}`;
}

/** Whether a folder name is a point's. */
export function isPointName(name: string): boolean {
  return /^point_\d{3,}$/.test(name);
}
