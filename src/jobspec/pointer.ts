/**
 * JSON pointer (RFC 6901) helpers and short value descriptions used in error messages.
 *
 * @module
 */

/** Escape one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replace(/~/g, '~0').replace(/\//g, '~1') : token;
}

/** Append a key or index to a JSON pointer. */
export function childPointer(pointer: string, key: string | number): string {
  return `${pointer}/${typeof key === 'number' ? key : escapePointerToken(key)}`;
}

const MAX_SHOWN = 40;

/** A short description of a value for error messages, e.g. `999`, `"app"`, `null`, `an object`. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const json = JSON.stringify(value);
      return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN - 4)}..."` : json;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
      return describeObject(value as object);
  }
}

function describeObject(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'a non-plain object';
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'an object';
  }
  return text.length > MAX_SHOWN ? 'an object' : text;
}
