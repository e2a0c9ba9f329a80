/**
 * Jobspec text (JSON or YAML) → plain data, with syntax errors reported as
 * {@link JobspecParseError} carrying a 1-based line and column.
 *
 * @module
 */
import { parseDocument } from 'yaml';
import { errorText } from '../util/errors.js';
import { JobspecParseError } from './errors.js';

/** Text formats `Jobspec.parse` understands. `'auto'` takes JSON when the text starts with `{`, else YAML. */
export type JobspecTextFormat = 'json' | 'yaml' | 'auto';

/** YAML aliases beyond this count are refused (guards against "billion laughs" documents). */
const MAX_YAML_ALIASES = 100;

/**
 * Parse jobspec text into plain data (not yet validated).
 *
 * With `'auto'`, text whose first non-blank character is `{` is tried as JSON first (fast), and
 * anything else, or JSON that does not parse, is read as YAML (YAML 1.2 is a superset of JSON).
 *
 * @throws {@link JobspecParseError} on a syntax error.
 */
export function parseText(text: string, format: JobspecTextFormat): unknown {
  if (format === 'json') return parseJson(text);
  if (format === 'auto' && /^\s*\{/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not strict JSON: YAML may still read it (flow mappings, comments, ...).
    }
  }
  return parseYaml(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const offset = jsonErrorOffset(text, error);
    const { line, column } = lineColumn(text, offset);
    throw new JobspecParseError('json', line, column, errorText(error), { cause: error });
  }
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0];
    const detail = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new JobspecParseError('yaml', pos?.line ?? 0, pos?.col ?? 0, detail, { cause: first });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (error) {
    throw new JobspecParseError('yaml', 0, 0, errorText(error), { cause: error });
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Offset of a JSON syntax error. V8's messages do not always carry a position, so the text is
 * scanned with a small JSON grammar checker; the message's `position N` is the fallback.
 */
function jsonErrorOffset(text: string, error: unknown): number {
  const scanned = new JsonScanner(text).firstErrorOffset();
  if (scanned !== undefined) return scanned;
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  return match === null ? text.length : Number(match[1]);
}

/** A validating JSON scanner (RFC 8259 grammar, no values built) that finds the first error. */
class JsonScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  /** The offset of the first syntax error, or `undefined` if the text is valid JSON. */
  firstErrorOffset(): number | undefined {
    try {
      this.ws();
      this.value();
      this.ws();
      return this.pos < this.text.length ? this.pos : undefined;
    } catch (error) {
      if (error instanceof ScanError) return error.offset;
      return undefined; // e.g. a stack overflow on absurd nesting: no position
    }
  }

  private fail(): never {
    throw new ScanError(this.pos);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private value(): void {
    const c = this.text[this.pos];
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === 't') this.literal('true');
    else if (c === 'f') this.literal('false');
    else if (c === 'n') this.literal('null');
    else this.number();
  }

  private object(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail();
      this.string();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      this.ws();
      this.value();
      this.ws();
      const c = this.text[this.pos];
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c !== ',') this.fail();
      this.pos++;
      this.ws();
    }
  }

  private array(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      const c = this.text[this.pos];
      if (c === ']') {
        this.pos++;
        return;
      }
      if (c !== ',') this.fail();
      this.pos++;
      this.ws();
    }
  }

  private string(): void {
    const t = this.text;
    this.pos++;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return;
      }
      if (c < 0x20) this.fail();
      if (c === 0x5c) {
        const e = t[this.pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(this.pos + 2, this.pos + 6))) {
            this.pos++;
            this.fail();
          }
          this.pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          this.pos++;
          this.fail();
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    this.fail();
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.text[this.pos] !== word[i]) this.fail();
      this.pos++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail();
    this.pos += match[0].length;
  }
}

/** An RFC 8259 number, matched at a given offset (sticky). */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class ScanError {
  constructor(readonly offset: number) {}
}
