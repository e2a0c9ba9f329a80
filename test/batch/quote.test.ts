import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nastyString } from './arbitraries.js';
import { expandPathTemplate, isShellName, shQuote, shTemplate } from '../../src/backends/batch/quote.js';

/** Runs bash on `words` (already quoted) and returns the arguments it got, NUL-separated. */
function bashArgs(words: string[]): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${words.join(' ')}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shQuote', () => {
  it('quotes the classic troublemakers', () => {
    expect(shQuote('')).toBe("''");
    expect(shQuote('plain-word_1.0')).toBe('plain-word_1.0');
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote('$HOME')).toBe("'$HOME'");
    expect(shQuote('-n')).toBe("'-n'");
    expect(shQuote('x=y')).toBe("'x=y'");
    expect(shQuote('if')).toBe('if'); // never used in command position without `command --`
  });

  it('round-trips any string through bash byte-exact (property: 20 batches of up to 100 strings)', () => {
    fc.assert(
      fc.property(fc.array(nastyString(), { minLength: 1, maxLength: 100 }), (args) => {
        expect(bashArgs(args.map(shQuote))).toEqual(args);
      }),
      { numRuns: 20 },
    );
  });
});

describe('shTemplate', () => {
  it('splices bash expressions for placeholders and quotes the rest', () => {
    expect(shTemplate('/o/{{id}}.out', { id: '"$ID"' })).toBe('/o/"$ID".out');
    expect(shTemplate('{{id}}', { id: '"$ID"' })).toBe('"$ID"');
    expect(shTemplate("a b{{id}}{{id}}'c", { id: '"$ID"' })).toBe(`'a b'"$ID""$ID"''\\''c'`);
    expect(shTemplate('', { id: '"$ID"' })).toBe("''");
    expect(shTemplate('{{name}}', { id: '"$ID"' })).toBe("'{{name}}'");
  });

  it('expands to the template with the variable substituted (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nastyString(), fc.boolean()), { maxLength: 6 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), (parts, id) => {
        const template = parts.map(([s, ph]) => s + (ph ? '{{id}}' : '')).join('');
        const word = shTemplate(template, { id: '"$ID"' });
        const out = execFileSync('bash', ['-c', `ID=$1; printf '%s' ${word}`, 'bash', id], { encoding: 'utf8' });
        expect(out).toBe(template.replaceAll('{{id}}', id));
      }),
      { numRuns: 50 },
    );
  });
});

describe('helpers', () => {
  it('isShellName', () => {
    expect(isShellName('PATH')).toBe(true);
    expect(isShellName('_x1')).toBe(true);
    expect(isShellName('1X')).toBe(false);
    expect(isShellName('A-B')).toBe(false);
    expect(isShellName('')).toBe(false);
  });

  it('expandPathTemplate', () => {
    expect(expandPathTemplate('/l/{{id}}-{{name}}.out', 'ƒabc', 'job')).toBe('/l/ƒabc-job.out');
    expect(expandPathTemplate('/l/{{other}}', 'ƒabc', 'job')).toBe('/l/{{other}}');
  });
});

describe('shQuote and DOS line breaks', () => {
  it('never leaves a raw carriage return in the script (sbatch rejects "\\r\\n")', () => {
    expect(shQuote('a\r\nb')).toBe(`'a'$'\\r''\nb'`);
    expect(bashArgs([shQuote('a\r\nb'), shQuote('\r')])).toEqual(['a\r\nb', '\r']);
  });
});
