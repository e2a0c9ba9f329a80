/**
 * Dotted attribute keys as Flux's `Jobspec.setattr` / `getattr` take them, and copy-on-write
 * updates of a frozen jobspec object.
 *
 * Prefix rule (Flux `_attr_key_prepend`): a key that starts with `attributes.` is used as is;
 * one that starts with `user.` or `system.` gets `attributes.` in front; any other key gets
 * `attributes.system.` in front. So `duration`, `system.duration` and
 * `attributes.system.duration` all name the same attribute.
 *
 * @module
 */
import { InvalidArgumentError } from '../util/errors.js';
import { childPointer } from './pointer.js';

/**
 * Apply the prefix rule and split a dotted attribute key into path segments.
 *
 * @throws {@link InvalidArgumentError} (argument `key`) if `key` is not a non-empty string of
 *   non-empty dot-separated segments.
 */
export function attributePath(key: string): string[] {
  if (typeof key !== 'string') throw new InvalidArgumentError('key', `must be a string (got ${typeof key})`);
  let full = key;
  if (!key.startsWith('attributes.')) {
    full = key.startsWith('user.') || key.startsWith('system.') ? `attributes.${key}` : `attributes.system.${key}`;
  }
  const segments = full.split('.');
  if (segments.some((segment) => segment === '')) {
    throw new InvalidArgumentError('key', `must be dot-separated non-empty names (got ${JSON.stringify(key)})`);
  }
  return segments;
}

/** JSON pointer of a path, e.g. `['attributes', 'system', 'cwd']` → `/attributes/system/cwd`. */
export function pathPointer(segments: readonly string[]): string {
  let pointer = '';
  for (const segment of segments) pointer = childPointer(pointer, segment);
  return pointer;
}

/** Read `root[segments[0]][segments[1]]...` through own properties of plain objects only. */
export function getIn(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (!isPlainRecord(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/**
 * Return a copy of `root` with the value at `segments` replaced by `value` (or the key
 * removed when `value` is `undefined`). Objects off the path are shared, objects on the path
 * are shallow-copied and frozen; missing intermediate objects are created.
 *
 * @throws {@link InvalidArgumentError} (argument `key`) when an intermediate value exists but
 *   is not an object.
 */
export function setIn(root: unknown, segments: readonly string[], value: unknown, key: string): unknown {
  if (value === undefined && !hasPath(root, segments)) return root;
  return setAt(root, segments, 0, value, key);
}

function hasPath(root: unknown, segments: readonly string[]): boolean {
  let node = root;
  for (const segment of segments) {
    if (!isPlainRecord(node) || !Object.hasOwn(node, segment)) return false;
    node = node[segment];
  }
  return true;
}

function setAt(node: unknown, segments: readonly string[], index: number, value: unknown, key: string): unknown {
  const segment = segments[index]!;
  if (node !== undefined && !isPlainRecord(node)) {
    const at = segments.slice(0, index).join('.');
    throw new InvalidArgumentError('key', `cannot set ${JSON.stringify(key)}: '${at}' is not an object`);
  }
  const record: Record<string, unknown> = node ?? {};
  const exists = Object.hasOwn(record, segment);
  const child =
    index === segments.length - 1 ? value : setAt(exists ? record[segment] : undefined, segments, index + 1, value, key);
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(record)) {
    if (name !== segment) define(copy, name, record[name]);
    else if (child !== undefined) define(copy, name, child);
  }
  if (!exists && child !== undefined) define(copy, segment, child);
  return Object.freeze(copy);
}

function define(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
