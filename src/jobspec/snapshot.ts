/**
 * Deep copy + deep freeze of caller-supplied data, checking that it is plain JSON data.
 *
 * Jobspecs must survive `JSON.stringify` / YAML unchanged, so only plain objects, arrays,
 * strings, finite numbers, booleans and `null` are accepted.
 *
 * @module
 */
import { JobspecValidationError } from './errors.js';
import { childPointer, describeValue } from './pointer.js';

/** Deeper documents are rejected rather than risking a stack overflow. */
const MAX_DEPTH = 1000;

/**
 * Return a deep-frozen copy of `value` that shares nothing with it.
 *
 * @param value - caller data.
 * @param pointer - JSON pointer of `value` in the jobspec, used in errors (default `''`).
 * @throws {@link JobspecValidationError} when `value` holds anything but JSON data (undefined,
 *   functions, symbols, bigints, non-finite numbers, class instances, sparse arrays), a cycle,
 *   or nests deeper than 1000 levels.
 */
export function snapshot(value: unknown, pointer = ''): unknown {
  return copy(value, pointer, new Set<object>(), 0);
}

function copy(value: unknown, pointer: string, ancestors: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(pointer, `must be a finite number (got ${describeValue(value)})`);
      return value;
    case 'object':
      if (value === null) return null;
      break;
    default:
      fail(pointer, `must be JSON data (got ${describeValue(value)})`);
  }
  const source = value as object;
  if (ancestors.has(source)) fail(pointer, 'is a circular reference');
  if (depth >= MAX_DEPTH) fail(pointer, `is nested too deeply (more than ${MAX_DEPTH} levels)`);
  ancestors.add(source);
  let result: unknown[] | Record<string, unknown>;
  if (Array.isArray(source)) {
    const array: unknown[] = new Array<unknown>(source.length);
    for (let i = 0; i < source.length; i++) {
      if (!(i in source)) fail(childPointer(pointer, i), 'must not be a hole in a sparse array');
      array[i] = copy(source[i], childPointer(pointer, i), ancestors, depth + 1);
    }
    result = array;
  } else {
    const proto: unknown = Object.getPrototypeOf(source);
    if (proto !== Object.prototype && proto !== null) {
      fail(pointer, `must be a plain object or array (got ${describeValue(source)})`);
    }
    const object: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const child = copy((source as Record<string, unknown>)[key], childPointer(pointer, key), ancestors, depth + 1);
      if (key === '__proto__') {
        Object.defineProperty(object, key, { value: child, enumerable: true, writable: true, configurable: true });
      } else {
        object[key] = child;
      }
    }
    result = object;
  }
  ancestors.delete(source);
  return Object.freeze(result);
}

function fail(path: string, message: string): never {
  throw new JobspecValidationError([{ path, message }]);
}
